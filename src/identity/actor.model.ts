import type { AgentRow, CredentialRow, TeamRole, UserRow } from '../db/schema/index.js';

export interface UserIdentity {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'user';
  plan: 'free' | 'pro' | 'enterprise';
}

export interface AgentIdentity {
  id: string;
  name: string;
  ownerId: string;
  teamId: string | null;
  serverId: string | null;
  role: 'admin' | 'agent';
}

/** Who is calling: a person (session cookie) or an agent (JWT or API token). */
export type Actor =
  | { kind: 'user'; user: UserIdentity; sessionId: string; teams: ReadonlyMap<string, TeamRole> }
  | { kind: 'agent'; agent: AgentIdentity; credentialId: string; scopes: string[]; expiresAt: number }
  | { kind: 'api-token'; agent: AgentIdentity; credentialId: string; scopes: string[] };

export type UserActor = Extract<Actor, { kind: 'user' }>;
export type AgentActor = Extract<Actor, { kind: 'agent' }>;
export type ApiTokenActor = Extract<Actor, { kind: 'api-token' }>;

/** What an actor carries of a stored agent (never more: actors are cached and logged by id only). */
export function toAgentIdentity(agent: AgentRow): AgentIdentity {
  return {
    id: agent.id,
    name: agent.name,
    ownerId: agent.ownerId,
    teamId: agent.teamId,
    serverId: agent.serverId,
    role: agent.role,
  };
}

export function toUserIdentity(user: UserRow): UserIdentity {
  const { id, email, name, role, plan } = user;
  return { id, email, name, role, plan };
}

export function apiTokenActor(agent: AgentRow, credential: CredentialRow): ApiTokenActor {
  return { kind: 'api-token', agent: toAgentIdentity(agent), credentialId: credential.id, scopes: credential.scopes };
}

export function isAdmin(actor: Actor | undefined): boolean {
  return actor?.kind === 'user' && actor.user.role === 'admin';
}

/** For audit rows: the actor's type and id. */
export function actorRef(actor: Actor | undefined): { actorType: 'user' | 'agent' | 'anon'; actorId: string | null } {
  if (!actor) return { actorType: 'anon', actorId: null };
  return actor.kind === 'user'
    ? { actorType: 'user', actorId: actor.user.id }
    : { actorType: 'agent', actorId: actor.agent.id };
}
