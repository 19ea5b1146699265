import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AgentCliError, EXIT } from './errors.js';

/** The pid of a live process holding the config dir's run lock, if any. */
export function lockHolder(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'run.lock'), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive but someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * One `agenthub agent run` per config dir: two would share the spool and race
 * each other's refresh-token rotations. A lock left by a dead process is taken over.
 */
export function acquireRunLock(dir: string): () => void {
  const path = join(dir, 'run.lock');
  const holder = lockHolder(dir);
  if (holder !== undefined)
    throw new AgentCliError(`Another \`agenthub agent run\` (pid ${holder}) is already using ${dir}.`, EXIT.config);
  rmSync(path, { force: true });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch {
    throw new AgentCliError(`Another \`agenthub agent run\` is starting in ${dir}.`, EXIT.config);
  }
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
  return () => rmSync(path, { force: true });
}
