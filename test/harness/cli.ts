import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../../src/lib/paths.js';

const SOURCE_ENTRY = join(packageRoot, 'src', 'cli', 'main.ts');
const BUILT_ENTRY = join(packageRoot, 'dist', 'src', 'cli', 'main.js');

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * How a CLI process starts: the build in dist/ when it is newer than every source file (CI builds first: a start
 * costs ~0.5 s instead of tsx's ~1.7 s of transpiling), else the source through tsx, so a test never runs stale
 * code. `AGENTHUB_TEST_CLI=tsx` forces the source.
 */
function cliCommand(): string[] {
  const useBuild =
    process.env['AGENTHUB_TEST_CLI'] !== 'tsx' &&
    existsSync(BUILT_ENTRY) &&
    statSync(BUILT_ENTRY).mtimeMs >= newestSourceMtime(join(packageRoot, 'src'));
  return useBuild ? [BUILT_ENTRY] : ['--import', 'tsx', SOURCE_ENTRY];
}

let command: string[] | undefined;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything written so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process exits (rejects after `timeoutMs`, killing it). */
  exited(timeoutMs?: number): Promise<CliResult>;
}

/**
 * The real CLI (the fresh build, else src/cli/main.ts through tsx) in a child process, with exactly
 * the given environment on top of PATH/HOME, so the developer's shell cannot leak in.
 */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  command ??= cliCommand();
  const child = spawn(process.execPath, [...command, ...args], {
    cwd: packageRoot,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<CliResult>((resolve) => {
    child.once('exit', (code, signal) => {
      // 'exit' can precede the last 'data' events: wait for the streams to end too.
      child.once('close', () => resolve({ code, signal, stdout, stderr }));
    });
  });

  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitForLine(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = stdout.split('\n').find((l) => pattern.test(l));
          if (line === undefined) return false;
          cleanup();
          resolve(line);
          return true;
        };
        const onExit = () =>
          setImmediate(() => {
            if (check()) return;
            cleanup();
            reject(new Error(`process exited before printing ${String(pattern)}\n${stdout}\n${stderr}`));
          });
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${String(pattern)}\n${stdout}\n${stderr}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.off('exit', onExit);
        };
        if (check()) return;
        child.stdout.on('data', check);
        child.once('exit', onExit);
      });
    },
    exited(timeoutMs = 60_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`process did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
        }, timeoutMs);
      });
      return Promise.race([exit, timeout]).finally(() => clearTimeout(timer));
    },
  };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return spawnCli(args, env).exited(timeoutMs);
}

/** A TCP port that was free a moment ago (for child processes that need a known port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
