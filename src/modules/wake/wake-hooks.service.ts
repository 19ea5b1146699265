import type { Actor } from '../../identity/actor.model.js';
import { randomToken } from '../../lib/crypto.js';
import { notFound } from '../../lib/errors.js';
import type { SecretBox } from '../../lib/secret-box.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { refusedTarget } from '../outbound/webhook-target.js';
import type { WakeHookInput } from './wake-hooks.schemas.js';
import type { WakeHooksRepository } from './wake-hooks.repository.js';
import { wakeTargetRefused } from './wake-hooks.errors.js';

interface Deps {
  repository: WakeHooksRepository;
  secrets: SecretBox;
  agents: Pick<AgentsService, 'load'>;
  audit: AuditService;
  allowPrivate: boolean;
  defaultCoalesceSeconds: number;
}

export interface WakeHookContext {
  actor: Actor;
  ip?: string | undefined;
}

/**
 * Wake hooks: an agent sets its own; a person sets one for an agent they may manage (owner, team admin,
 * server admin). An agent never reaches another agent's hook: it only ever names itself.
 */
export function createWakeHooksService({
  repository,
  secrets,
  agents,
  audit,
  allowPrivate,
  defaultCoalesceSeconds,
}: Deps) {
  async function agentIdFor(agentId: string, actor: Actor): Promise<string> {
    if (actor.kind !== 'user') {
      if (actor.agent.id !== agentId) throw notFound('Agent not found.');
      return agentId;
    }
    return (await agents.load(agentId, actor, 'manage')).id;
  }

  return {
    /** Creates or replaces the hook; the secret is returned here only (null when the stored one is kept). */
    async set(agentId: string, input: WakeHookInput, { actor, ip }: WakeHookContext) {
      const id = await agentIdFor(agentId, actor);
      const refused = await refusedTarget(input.url, allowPrivate);
      if (refused) {
        const hint = refused.startsWith('a loopback') ? ' (set WAKE_HOOK_ALLOW_PRIVATE=true on a LAN)' : '';
        throw wakeTargetRefused(`The wake hook target is refused: ${refused}${hint}.`);
      }
      const existing = await repository.find(id);
      const secret = input.secret ?? (existing ? undefined : `whsec_${randomToken(24)}`);
      const hook = await repository.upsert({
        agentId: id,
        url: input.url,
        secretEnc: secret === undefined ? undefined : secrets.seal(secret),
        wakeOnRoomMentions: input.wake_on_room_mentions,
        coalesceSeconds: input.coalesce_seconds ?? defaultCoalesceSeconds,
      });
      if (!hook) throw notFound('Agent not found.');
      await audit.record({
        type: existing ? 'wake_hook.updated' : 'wake_hook.created',
        actor,
        subjectType: 'agent',
        subjectId: id,
        ip,
        payload: {
          wake_on_room_mentions: hook.wakeOnRoomMentions,
          coalesce_seconds: hook.coalesceSeconds,
          secret_changed: secret !== undefined,
        },
      });
      return { hook, secret: secret ?? null };
    },

    async get(agentId: string, actor: Actor) {
      return { hook: await repository.find(await agentIdFor(agentId, actor)) };
    },

    /** Removes the hook; removing none is not an error (the end state is the same). */
    async remove(agentId: string, { actor, ip }: WakeHookContext) {
      const id = await agentIdFor(agentId, actor);
      if (await repository.delete(id))
        await audit.record({ type: 'wake_hook.deleted', actor, subjectType: 'agent', subjectId: id, ip });
    },

    /** The decrypted signing secret, for the sender; undefined when it was sealed under another key. */
    secretOf: (secretEnc: string) => secrets.open(secretEnc),
  };
}

export type WakeHooksService = ReturnType<typeof createWakeHooksService>;
