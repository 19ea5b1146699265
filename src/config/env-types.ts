/** The value types environment variables are written in, and the error a bad one raises. */
import { z } from 'zod';

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/, 'expected a duration such as 90s, 15m, 1h or a number of seconds')
  .transform(parseDurationSeconds);

export const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseDurationSeconds(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new ConfigError(`invalid duration: ${value}`);
  const n = Number(match[1]);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? 's'] ?? 1;
  return n * factor;
}
