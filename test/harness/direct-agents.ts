import { randomBytes } from 'node:crypto';
import type { AgentRow } from '../../src/db/schema/index.js';
import { toAgentIdentity, type UserActor } from '../../src/identity/actor.model.js';
import type { TestApp } from './app.js';
import type { Person } from './identity.js';

export interface DirectAgent {
  agent: AgentRow;
  apiToken: string;
  credentialId: string;
  /** An access JWT issued for the API token, as POST /api/v1/sessions would. */
  accessToken: string;
}

/** The person as the services see them (an admin or user actor without teams). */
export function actorOf(person: Person): UserActor {
  return {
    kind: 'user',
    user: { id: person.id, email: person.email, name: person.name, role: person.role, plan: 'enterprise' },
    sessionId: 'test',
    teams: new Map(),
  };
}

/**
 * An agent owned by `owner` with an API token and an access token, made through the services rather than
 * HTTP: for tests about request budgets, whose setup must not spend the budgets it measures.
 */
export async function createDirectAgent(
  t: TestApp,
  owner: Person,
  options: { serverId?: string; role?: 'admin' | 'agent' } = {},
): Promise<DirectAgent> {
  const { agents, credentials, accessTokens } = t.ctx.services;
  const { agent } = await agents.create(
    { name: `agent-${randomBytes(4).toString('hex')}`, serverId: options.serverId, role: options.role },
    { actor: actorOf(owner) },
  );
  const { token, credential } = await credentials.issueApiToken(agent, {}, {});
  const access = accessTokens.issue(toAgentIdentity(agent), credential.id, []);
  return { agent, apiToken: token, credentialId: credential.id, accessToken: access.token };
}
