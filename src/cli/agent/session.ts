import { AgentHubClient } from '../../client/index.js';
import { AgentStore, type AgentConfig } from './store.js';

/** A linked agent: its config and an SDK client whose token rotations are persisted before use. */
export interface AgentSession {
  store: AgentStore;
  config: AgentConfig;
  client: AgentHubClient;
}

export function openSession(store = new AgentStore()): AgentSession {
  const config = store.readConfig();
  const stored = store.readCredentials();
  const client = new AgentHubClient({
    server: config.server,
    credentials: { kind: 'refresh', refreshToken: stored.refreshToken, fingerprint: stored.fingerprint },
    ...(stored.tokens.accessToken ? { tokens: stored.tokens } : {}),
    // Awaited by the SDK before the new tokens are used: the file is never behind the server.
    onRotate: (tokens) => store.saveTokens(tokens),
    // `run`, `listen` and `status` may share the credentials at the same time: each refreshes with the
    // token on disk, so none presents one that another has already spent (the server would revoke them all).
    latestRefreshToken: () => store.readRefreshToken(),
  });
  return { store, config, client };
}
