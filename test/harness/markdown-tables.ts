import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/lib/paths.js';

/**
 * The table rows (cells trimmed, backticks dropped) of the section of docs/API.md under `heading`,
 * up to the next second-level heading; undefined when the section is missing.
 */
export function apiDocTableRows(heading: string): string[][] | undefined {
  const doc = readFileSync(join(packageRoot, 'docs', 'API.md'), 'utf8');
  const section = doc.split(heading)[1]?.split('\n## ')[0];
  return section
    ?.split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replace(/`/g, '')),
    );
}
