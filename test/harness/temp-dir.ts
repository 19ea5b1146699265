import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir; remove it in afterAll/afterEach. */
export function makeTempDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `agenthub-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
