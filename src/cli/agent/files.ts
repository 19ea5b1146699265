import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AgentCliError, EXIT } from './errors.js';

/** AGENTHUB_CONFIG_DIR, else $XDG_CONFIG_HOME/agenthub, else ~/.config/agenthub. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['AGENTHUB_CONFIG_DIR'];
  if (explicit) return resolve(explicit);
  const xdg = env['XDG_CONFIG_HOME'];
  return join(xdg ? resolve(xdg) : join(homedir(), '.config'), 'agenthub');
}

/** POSIX permission bits only exist where there are uids (not on Windows). */
const POSIX = typeof process.getuid === 'function';

/** Creates `path` (and parents) and makes sure it ends up with exactly `mode`, whatever the umask. */
export function ensureDir(path: string, mode: number): void {
  mkdirSync(path, { recursive: true, mode });
  if (POSIX) {
    const stats = lstatSync(path);
    if ((stats.mode & 0o777) !== mode && stats.uid === process.getuid?.()) chmodSync(path, mode);
  }
}

/**
 * Writes a file so that readers see the old or the new content, never half of
 * it: temp file (mode set at creation), fsync, rename over, fsync the directory.
 */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDir(dirname(path));
}

function syncDir(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  }
}

/** Refuses a secret file or directory that others could read or that someone else owns. */
export function assertPrivate(path: string, kind: 'file' | 'directory'): Stats {
  const stats = lstatSync(path);
  if (stats.isSymbolicLink())
    throw new AgentCliError(
      `Refusing to use ${path}: it is a symbolic link; replace it with a real ${kind}.`,
      EXIT.config,
    );
  if (kind === 'directory' ? !stats.isDirectory() : !stats.isFile())
    throw new AgentCliError(`Refusing to use ${path}: it is not a ${kind}.`, EXIT.config);
  if (!POSIX) return stats;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid)
    throw new AgentCliError(
      `Refusing to use ${path}: it belongs to uid ${stats.uid}, not to the user running the agent (uid ${uid}). ` +
        `Run: chown ${uid} ${path}`,
      EXIT.config,
    );
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    const wanted = kind === 'directory' ? '700' : '600';
    throw new AgentCliError(
      `Refusing to use ${path}: its permissions are ${mode.toString(8).padStart(4, '0')}, so other users can ` +
        `read it. Run: chmod ${wanted} ${path}`,
      EXIT.config,
    );
  }
  return stats;
}

/** The content of a secret file after checking its permissions; undefined when it does not exist. */
export function readPrivateFile(path: string): string | undefined {
  try {
    assertPrivate(path, 'file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return readFileSync(path, 'utf8').trim();
}

export function readOptionalFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
