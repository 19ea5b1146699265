import { AgentHubClient, type RetryPolicy } from '../../client/index.js';
import { AgentStore, type AgentConfig } from './store.js';

/** A linked agent: its config and an SDK client whose token rotations are persisted before use. */
export interface AgentSession {
  store: AgentStore;
  config: AgentConfig;
  client: AgentHubClient;
  /**
   * Adopts a refresh token that another process (say `agenthub agent status`
   * while `run` is running) rotated on disk, so this one never presents a
   * spent token (which the server treats as theft and answers by revoking the family).
   */
  syncFromDisk(): void;
}

export function openSession(store = new AgentStore(), options: { retry?: RetryPolicy } = {}): AgentSession {
  const config = store.readConfig();
  const stored = store.readCredentials();
  let known = stored.refreshToken;
  const client = new AgentHubClient({
    server: config.server,
    credentials: { kind: 'refresh', refreshToken: stored.refreshToken, fingerprint: stored.fingerprint },
    ...(stored.tokens.accessToken ? { tokens: stored.tokens } : {}),
    // Awaited by the SDK before the new tokens are used: the file is never behind the server.
    onRotate: (tokens) => {
      store.saveTokens(tokens);
      if (tokens.refreshToken) known = tokens.refreshToken;
    },
    ...(options.retry ? { retry: options.retry } : {}),
  });
  return {
    store,
    config,
    client,
    syncFromDisk() {
      const onDisk = store.readRefreshToken();
      if (!onDisk || onDisk === known) return;
      const fresh = store.readCredentials();
      known = fresh.refreshToken;
      client.useCredentials(
        { kind: 'refresh', refreshToken: fresh.refreshToken, fingerprint: fresh.fingerprint },
        fresh.tokens.accessToken ? fresh.tokens : undefined,
      );
    },
  };
}
