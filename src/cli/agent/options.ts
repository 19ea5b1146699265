import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { AgentCliError } from './errors.js';

/** Seconds, fractions allowed (tests tick fast); at least 0.1. */
export function parseInterval(value: string, flag = '--interval'): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 86_400)
    throw new AgentCliError(`${flag}: expected a number of seconds between 0.1 and 86400.`);
  return seconds;
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AgentCliError(`${flag}: expected a positive whole number.`);
  return n;
}

/** A whole number within the server's bounds, checked here so a mistake never reaches the hub. */
export function parseIntBetween(value: string, flag: string, min: number, max: number, unit = ''): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new AgentCliError(`${flag}: expected a whole number${unit ? ` of ${unit}` : ''} between ${min} and ${max}.`);
  return n;
}

/** `--label k=v`, repeatable: the labels travel in every snapshot under `labels`. */
export function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = value.slice(0, eq).trim();
    if (eq <= 0 || !key || key.length > 128) throw new AgentCliError(`--label: expected key=value, got "${value}".`);
    labels[key] = value.slice(eq + 1);
  }
  return labels;
}

/** commander's collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

let version: string | undefined;
export function agentVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
