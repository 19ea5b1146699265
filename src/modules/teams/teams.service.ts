import type { TeamRole } from '../../db/schema/index.js';
import { forbidden, notFound } from '../../lib/errors.js';
import { ownerIsPermanent } from './teams.errors.js';
import type { Actor, UserActor } from '../../identity/actor.model.js';
import { ensure } from '../../identity/access.policy.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UsersService } from '../users/users.service.js';
import type { TeamsRepository } from './teams.repository.js';

interface Deps {
  repository: TeamsRepository;
  users: UsersService;
  audit: AuditService;
}

export interface TeamContext {
  actor: UserActor;
  ip?: string;
}

export function createTeamsService({ repository, users, audit }: Deps) {
  async function findVisible(actor: Actor, teamId: string) {
    const team = await repository.findById(teamId);
    if (!team) throw notFound('Team not found.');
    ensure(actor, 'read', { type: 'team', id: team.id });
    return team;
  }

  return {
    membershipsOf: (userId: string) => repository.membershipsOf(userId),
    /** For the features that place things in a team (agents, rooms, device links); no visibility check. */
    findById: (teamId: string) => repository.findById(teamId),

    async create(name: string, { actor, ip }: TeamContext) {
      const team = await repository.create(name, actor.user.id);
      await audit.record({
        type: 'team.created',
        actor,
        subjectType: 'team',
        subjectId: team.id,
        ip,
        payload: { name },
      });
      return { team, role: 'owner' as const };
    },

    list: async (actor: UserActor) => ({ teams: await repository.listForUser(actor.user.id) }),

    /** Every team on the server: server admins only (others get 404, as for a page they may not know of). */
    async listAll(actor: UserActor) {
      if (actor.user.role !== 'admin') throw notFound('Page not found.');
      return { teams: await repository.listAll() };
    },

    async get(teamId: string, actor: Actor) {
      const team = await findVisible(actor, teamId);
      return { team, members: await repository.listMembers(team.id) };
    },

    async addMember(teamId: string, input: { email: string; role: TeamRole }, { actor, ip }: TeamContext) {
      const team = await findVisible(actor, teamId);
      ensure(actor, 'manage', { type: 'team', id: team.id });
      const callerRole = actor.user.role === 'admin' ? 'owner' : actor.teams.get(team.id);
      // Only owners (and server admins) hand out admin or owner rights.
      if ((input.role === 'owner' || input.role === 'admin') && callerRole !== 'owner')
        throw forbidden('Only the team owner can grant admin or owner.');
      if (input.role === 'owner') throw ownerIsPermanent('A team has exactly one owner.');
      const user = await users.findByEmail(input.email);
      if (!user || user.disabledAt) throw notFound('No active user with that email.');
      const existing = await repository.findMember(team.id, user.id);
      if (existing?.role === 'owner') throw ownerIsPermanent();
      // Changing an admin's role is as much the owner's call as removing them.
      if (existing?.role === 'admin' && callerRole !== 'owner')
        throw forbidden("Only the team owner can change an admin's role.");
      await repository.upsertMember(team.id, user.id, input.role);
      await audit.record({
        type: 'team.member_added',
        actor,
        subjectType: 'team',
        subjectId: team.id,
        ip,
        payload: { user_id: user.id, role: input.role },
      });
      return { member: { user_id: user.id, email: user.email, name: user.name, role: input.role } };
    },

    async removeMember(teamId: string, userId: string, { actor, ip }: TeamContext) {
      const team = await findVisible(actor, teamId);
      const member = await repository.findMember(team.id, userId);
      const leavingSelf = userId === actor.user.id;
      if (!leavingSelf) ensure(actor, 'manage', { type: 'team', id: team.id });
      if (!member) throw notFound('Member not found.');
      if (member.role === 'owner') throw ownerIsPermanent();
      const callerRole = actor.user.role === 'admin' ? 'owner' : actor.teams.get(team.id);
      if (!leavingSelf && member.role === 'admin' && callerRole !== 'owner')
        throw forbidden('Only the team owner can remove an admin.');
      await repository.removeMember(team.id, userId);
      await audit.record({
        type: 'team.member_removed',
        actor,
        subjectType: 'team',
        subjectId: team.id,
        ip,
        payload: { user_id: userId },
      });
    },
  };
}

export type TeamsService = ReturnType<typeof createTeamsService>;
