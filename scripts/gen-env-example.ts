// Generates .env.example and the README's configuration table from envSchema,
// so the documentation cannot drift from what the server reads.
//   npm run env:example            rewrite both files
//   npm run env:example -- --check exit 1 when either is out of date
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { envSchema } from '../src/config.js';
import { packageRoot } from '../src/lib/paths.js';

export const ENV_EXAMPLE_PATH = join(packageRoot, '.env.example');
export const README_PATH = join(packageRoot, 'README.md');
const START = '<!-- config:start -->';
const END = '<!-- config:end -->';

export interface EnvVariable {
  name: string;
  description: string;
  /** The default as it would be written in the environment; undefined when the variable has none. */
  defaultValue: string | undefined;
  /** Accepted values, for enumerations. */
  choices: string[] | undefined;
}

/** Just enough of Zod 4's internal definition to read defaults and choices. */
interface SchemaDef {
  type: string;
  defaultValue?: unknown;
  innerType?: { def: SchemaDef };
  in?: { def: SchemaDef; options?: string[] };
  entries?: Record<string, string>;
}

export function describeEnv(): EnvVariable[] {
  return Object.entries(envSchema.shape).map(([name, schema]) => {
    const def = (schema as unknown as { def: SchemaDef }).def;
    const inner = def.innerType?.def ?? def;
    const choices = inner.type === 'enum' && inner.entries ? Object.values(inner.entries) : undefined;
    const isBoolean = inner.type === 'pipe' && inner.in?.def.type === 'enum';
    const isDuration = inner.type === 'pipe' && inner.in?.def.type === 'string' && typeof def.defaultValue === 'number';
    return {
      name,
      description: schema.description ?? '',
      defaultValue: def.type === 'default' ? formatDefault(def.defaultValue, isDuration) : undefined,
      choices: isBoolean ? ['true', 'false'] : choices,
    };
  });
}

function formatDefault(value: unknown, isDuration: boolean): string {
  if (Array.isArray(value)) return value.join(',');
  if (isDuration && typeof value === 'number') return formatDuration(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** 900 -> 15m, 2592000 -> 30d: the largest unit that divides the seconds exactly. */
function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

export function renderEnvExample(): string {
  const header = [
    '# AgentHub configuration. Copy to .env and uncomment what you change; every',
    '# variable is optional in development. Production needs JWT_SECRET and COOKIE_SECRET',
    '# (at least 32 characters each, e.g. `openssl rand -base64 48`).',
    '# Durations take 90s, 15m, 1h, 2d or a number of seconds.',
    '#',
    '# Generated from src/config.ts by `npm run env:example`: do not edit by hand.',
  ];
  const blocks = describeEnv().map((v) =>
    [
      `# ${v.description}`,
      ...(v.choices ? [`# One of: ${v.choices.join(', ')}.`] : []),
      `# ${v.name}=${v.defaultValue ?? ''}`,
    ].join('\n'),
  );
  return `${header.join('\n')}\n\n${blocks.join('\n\n')}\n`;
}

// Variable names, `__Host-` and `Bearer <TOKEN>` become code spans, so `_`, `*` and `<` stay literal.
const CODE_LIKE = /(?:Bearer )?<[A-Z_]+>|__Host-|\b[A-Z][A-Z0-9]*(?:_(?:[A-Z0-9]+|\*))+/g;
const markdown = (text: string) => text.replace(/\|/g, '\\|').replace(CODE_LIKE, (code) => `\`${code}\``);

export function renderConfigTable(): string {
  const rows = describeEnv().map((v) => {
    const fallback = v.defaultValue === undefined ? 'unset' : v.defaultValue === '' ? 'empty' : `\`${v.defaultValue}\``;
    const choices = v.choices ? ` One of ${v.choices.map((c) => `\`${c}\``).join(', ')}.` : '';
    return `| \`${v.name}\` | ${fallback} | ${markdown(v.description)}${choices} |`;
  });
  return ['| Variable | Default | Description |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README with its configuration section regenerated, formatted as Prettier would. */
export async function renderReadme(readme: string): Promise<string> {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} section`);
  const updated = `${readme.slice(0, start + START.length)}\n\n${renderConfigTable()}\n\n${readme.slice(end)}`;
  const options = await prettier.resolveConfig(README_PATH);
  return prettier.format(updated, { ...options, filepath: README_PATH });
}

async function main(check: boolean): Promise<void> {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  const readme = read(README_PATH);
  const outputs = [
    { path: ENV_EXAMPLE_PATH, current: read(ENV_EXAMPLE_PATH), next: renderEnvExample() },
    { path: README_PATH, current: readme, next: await renderReadme(readme) },
  ];
  let stale = 0;
  for (const { path, current, next } of outputs) {
    if (next === current) continue;
    stale++;
    if (check) console.error(`${path} is out of date: run npm run env:example`);
    else writeFileSync(path, next);
  }
  if (check && stale > 0) process.exit(1);
  if (!check) console.log(stale ? `Updated ${stale} file(s).` : 'Already up to date.');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.includes('--check'));
}
