// Builds dist/ with tsc when it is missing or older than any source file, so
// `npm start` works on a fresh clone and stays fast on later starts.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const marker = join(root, 'dist/src/cli/main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

if (!existsSync(marker) || statSync(marker).mtimeMs < newestMtime(join(root, 'src'))) {
  console.error('Building AgentHub (tsc)...');
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  if (!existsSync(tsc)) {
    console.error('TypeScript is not installed: run `npm install` (with dev dependencies) first.');
    process.exit(1);
  }
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  } catch {
    console.error('The build failed (see the errors above).');
    process.exit(1);
  }
}
