import type { UserActor } from '../../identity/actor.model.js';
import { authorize, type Action } from '../../identity/access.policy.js';
import { forbidden } from '../../lib/errors.js';
import type { Scope } from './alert-states.repository.js';

/** What a person's alerting reads cover: their own, their teams', everything for a server admin. */
export function scopeOf(actor: UserActor): Scope {
  return { userId: actor.user.id, teamIds: [...actor.teams.keys()], all: actor.user.role === 'admin' };
}

/**
 * Owner, team role or server admin decides, as for rooms: `read` for members of the team, `manage` for
 * its admins. Throws `notFound()` when the person may not know it exists, 403 when they may only read it.
 */
export function ensureAlerting(
  actor: UserActor,
  action: Action,
  thing: { id: string; ownerId: string; teamId: string | null },
  notFound: () => Error,
): void {
  const resource = { type: 'alert_rule' as const, ...thing };
  if (authorize(actor, action, resource)) return;
  if (action !== 'read' && authorize(actor, 'read', resource)) throw forbidden();
  throw notFound();
}
