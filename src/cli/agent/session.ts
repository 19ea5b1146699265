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
    // `run`, `listen` and `status` may share the credentials at the same time: each uses a fresh access token
    // another saved, and refreshes with the token on disk, never one another has spent (that revokes them all).
    shared: () => store.readCredentials().tokens,
  });
  return { store, config, client };
}
