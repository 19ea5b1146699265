import type { AgentRow, TeamRole } from '../db/schema/index.js';
import { forbidden, notFound } from '../lib/errors.js';
import type { Actor } from './actor.model.js';

export type Resource =
  | { type: 'agent'; id: string; ownerId: string; teamId: string | null }
  | { type: 'team'; id: string }
  | { type: 'room'; id: string; ownerId: string; teamId: string | null }
  | { type: 'alert_rule' | 'channel'; id: string; ownerId: string; teamId: string | null };

export function agentResource(agent: Pick<AgentRow, 'id' | 'ownerId' | 'teamId'>): Resource {
  return { type: 'agent', id: agent.id, ownerId: agent.ownerId, teamId: agent.teamId };
}

/** read: see it exists · use: act within it (post, link into it) · manage: change or revoke it. */
export type Action = 'read' | 'use' | 'manage';

const TEAM_ROLE_RANK: Record<TeamRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
const REQUIRED_RANK: Record<Action, number> = { read: 0, use: 1, manage: 2 };

/**
 * The one authorization policy: owners and server admins may do anything to
 * what they own; team members by their team role; agents only to themselves
 * (and, for admin agents, to what their owner or team owns).
 */
export function authorize(actor: Actor | undefined, action: Action, resource: Resource): boolean {
  if (!actor) return false;
  if (actor.kind === 'user') {
    if (actor.user.role === 'admin') return true;
    if (resource.type === 'team') return teamAllows(actor.teams.get(resource.id), action);
    if (resource.ownerId === actor.user.id) return true;
    return resource.teamId !== null && teamAllows(actor.teams.get(resource.teamId), action);
  }
  const agent = actor.agent;
  if (resource.type === 'agent' && resource.id === agent.id) return action !== 'manage';
  if (resource.type === 'team') return action === 'read' && agent.teamId === resource.id;
  const sameTenant =
    resource.ownerId === agent.ownerId || (resource.teamId !== null && resource.teamId === agent.teamId);
  if (!sameTenant) return false;
  return agent.role === 'admin' || action === 'read';
}

function teamAllows(role: TeamRole | undefined, action: Action): boolean {
  return role !== undefined && TEAM_ROLE_RANK[role] >= REQUIRED_RANK[action];
}

/**
 * Throws unless allowed: 404 when the actor may not even know the resource
 * exists, 403 when it may see it but not do this.
 */
export function ensure(actor: Actor | undefined, action: Action, resource: Resource): void {
  if (authorize(actor, action, resource)) return;
  if (action !== 'read' && authorize(actor, 'read', resource)) throw forbidden();
  throw notFound(`${resource.type[0]?.toUpperCase() ?? ''}${resource.type.slice(1)} not found.`);
}
