import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import type { TokenSet } from '../../client/index.js';
import { AgentCliError, EXIT } from './errors.js';
import { assertPrivate, configDir, ensureDir, readOptionalFile, readPrivateFile, writeFileAtomic } from './files.js';

export const DEFAULT_INTERVAL_SECONDS = 10;
export const DEFAULT_SPOOL_MAX = 10_000;

const configSchema = z.object({
  server: z.url({ protocol: /^https?$/ }),
  server_id: z.string().min(3).max(255),
  name: z.string().min(1).max(255).optional(),
  interval: z.number().min(0.1).max(86_400).default(DEFAULT_INTERVAL_SECONDS),
  labels: z.record(z.string().min(1).max(128), z.string().max(1024)).default({}),
  spool_max: z.number().int().min(1).max(10_000_000).default(DEFAULT_SPOOL_MAX),
});

/** config.yaml: where the agent reports and what it adds to every snapshot. */
export type AgentConfig = z.infer<typeof configSchema>;

export interface StoredCredentials {
  refreshToken: string;
  fingerprint: string;
  /** The last access token, when it was persisted (so a restart does not spend a refresh). */
  tokens: TokenSet;
}

export interface AgentState {
  last_success_at?: string;
}

/**
 * The agent's files under the config dir:
 *   config.yaml            server, server_id, interval, labels
 *   tokens/ (0700)         refresh-token, access-token, access-token-expires-at, fingerprint (each 0600)
 *   state.json             last successful send
 *   spool/ (0700)          snapshots waiting for the server (see spool.ts)
 */
export class AgentStore {
  readonly config: string;
  readonly tokens: string;
  readonly refreshToken: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: string;
  readonly fingerprint: string;
  readonly state: string;
  readonly spool: string;

  constructor(readonly dir: string = configDir()) {
    this.config = join(dir, 'config.yaml');
    this.tokens = join(dir, 'tokens');
    this.refreshToken = join(this.tokens, 'refresh-token');
    this.accessToken = join(this.tokens, 'access-token');
    this.accessTokenExpiresAt = join(this.tokens, 'access-token-expires-at');
    this.fingerprint = join(this.tokens, 'fingerprint');
    this.state = join(dir, 'state.json');
    this.spool = join(dir, 'spool');
  }

  isLinked(): boolean {
    return existsSync(this.refreshToken) || existsSync(this.config);
  }

  readConfig(): AgentConfig {
    const text = readOptionalFile(this.config);
    if (text === undefined)
      throw new AgentCliError(
        `This machine is not linked: ${this.config} does not exist. ` +
          'Run `agenthub agent link --server URL --server-id ID` first.',
        EXIT.config,
      );
    let raw: unknown;
    try {
      raw = parse(text);
    } catch (error) {
      throw new AgentCliError(`${this.config} is not valid YAML: ${(error as Error).message}`, EXIT.config);
    }
    const result = configSchema.safeParse(raw ?? {});
    if (!result.success)
      throw new AgentCliError(
        `${this.config}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
        EXIT.config,
      );
    return result.data;
  }

  writeConfig(config: AgentConfig): void {
    ensureDir(this.dir, 0o700);
    const header = '# AgentHub agent configuration (written by `agenthub agent link`; see docs/AGENT.md).\n';
    writeFileAtomic(this.config, header + stringify(configSchema.parse(config)), 0o600);
  }

  /** Reads the token files, refusing any that other users could read. */
  readCredentials(): StoredCredentials {
    if (!existsSync(this.tokens))
      throw new AgentCliError(
        `This machine is not linked: ${this.tokens} does not exist. Run \`agenthub agent link\` first.`,
        EXIT.config,
      );
    assertPrivate(this.tokens, 'directory');
    const refreshToken = readPrivateFile(this.refreshToken);
    const fingerprint = readPrivateFile(this.fingerprint);
    if (!refreshToken || !fingerprint)
      throw new AgentCliError(
        `${this.tokens} is incomplete (refresh-token or fingerprint missing). Link again with \`agenthub agent link --force\`.`,
        EXIT.config,
      );
    const accessToken = readPrivateFile(this.accessToken);
    const expires = readPrivateFile(this.accessTokenExpiresAt);
    const expiresAt = expires ? Date.parse(expires) : Number.NaN;
    return {
      refreshToken,
      fingerprint,
      // An unknown expiry counts as expired: the client renews before the first call.
      tokens: { accessToken: accessToken ?? '', refreshToken, expiresAt: Number.isFinite(expiresAt) ? expiresAt : 0 },
    };
  }

  /**
   * Persists a rotation. The refresh token goes first: once the server has
   * rotated it, the old one is spent and only the file keeps the agent linked.
   */
  saveTokens(tokens: TokenSet): void {
    ensureDir(this.tokens, 0o700);
    if (tokens.refreshToken) writeFileAtomic(this.refreshToken, tokens.refreshToken + '\n');
    writeFileAtomic(this.accessToken, tokens.accessToken + '\n');
    writeFileAtomic(this.accessTokenExpiresAt, new Date(tokens.expiresAt).toISOString() + '\n');
  }

  /** A random device fingerprint, created once and kept: the server binds the refresh token to it. */
  ensureFingerprint(): string {
    ensureDir(this.tokens, 0o700);
    const existing = readPrivateFile(this.fingerprint);
    if (existing) return existing;
    const fingerprint = randomBytes(32).toString('base64url');
    writeFileAtomic(this.fingerprint, fingerprint + '\n');
    return fingerprint;
  }

  readState(): AgentState {
    const text = readOptionalFile(this.state);
    if (!text) return {};
    try {
      return JSON.parse(text) as AgentState;
    } catch {
      return {};
    }
  }

  writeState(state: AgentState): void {
    writeFileAtomic(this.state, JSON.stringify(state) + '\n', 0o600);
  }

  /** Deletes everything the agent wrote. */
  removeAll(): void {
    for (const path of [this.tokens, this.spool, this.state, this.config])
      rmSync(path, { recursive: true, force: true });
  }
}
