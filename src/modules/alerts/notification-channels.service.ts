import { randomUUID } from 'node:crypto';
import type { NotificationChannelRow } from '../../db/schema/index.js';
import type { UserActor } from '../../identity/actor.model.js';
import { randomToken } from '../../lib/crypto.js';
import type { SecretBox } from '../../lib/secret-box.js';
import type { AuditService } from '../audit/audit.service.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import type { TeamsService } from '../teams/teams.service.js';
import { ensureAlerting } from './alert-access.js';
import { channelNotFound, emailUnavailable, webhookTargetRefused } from './alerts.errors.js';
import type { CreateChannelInput } from './alerts.schemas.js';
import type { NotificationPayload } from './notification-body.js';
import type { NotificationChannelsRepository } from './notification-channels.repository.js';
import type { NotificationSenders } from './notification-senders.js';
import { refusedTarget } from '../outbound/webhook-target.js';

interface Deps {
  repository: NotificationChannelsRepository;
  secrets: SecretBox;
  senders: NotificationSenders;
  teams: Pick<TeamsService, 'findById'>;
  rooms: Pick<RoomsService, 'load'>;
  audit: AuditService;
  allowPrivate: boolean;
  publicUrl: string;
}

/** The last four characters of a saved secret: enough to tell two apart, never enough to use one. */
function hint(secret: string | undefined): string | null {
  return secret ? `…${secret.slice(-4)}` : null;
}

export function createNotificationChannelsService(deps: Deps) {
  const { repository, secrets } = deps;

  async function load(
    id: string,
    actor: UserActor,
    action: 'read' | 'manage' | 'use',
  ): Promise<NotificationChannelRow> {
    const channel = await repository.findById(id);
    if (!channel) throw channelNotFound();
    ensureAlerting(actor, action, channel, () => channelNotFound());
    return channel;
  }

  const secretOf = (channel: NotificationChannelRow) =>
    channel.secretEnc ? secrets.open(channel.secretEnc) : undefined;

  return {
    load,
    secretOf,
    hintOf: (channel: NotificationChannelRow) => hint(secretOf(channel)),

    /** Creates a channel; a generic webhook without a secret gets one, returned here only. */
    async create(input: CreateChannelInput, actor: UserActor, ip?: string) {
      if (input.team_id) {
        const team = await deps.teams.findById(input.team_id);
        if (!team) throw channelNotFound('Team not found.');
        ensureAlerting(actor, 'manage', { id: team.id, ownerId: '', teamId: team.id }, () =>
          channelNotFound('Team not found.'),
        );
      }
      let secret: string | undefined;
      let target: Record<string, string>;
      if (input.kind === 'webhook') {
        const refused = input.preset === 'telegram' ? undefined : await refusedTarget(input.url, deps.allowPrivate);
        if (refused) throw webhookTargetRefused(`The webhook target is refused: ${refused}.`);
        secret = input.secret ?? (input.preset === 'generic' ? `whsec_${randomToken(24)}` : undefined);
        if (input.preset === 'telegram' && (!input.secret || !input.chat_id))
          throw webhookTargetRefused('A telegram channel takes the bot token as secret and a chat_id.');
        target = { url: input.url, ...(input.chat_id ? { chat_id: input.chat_id } : {}) };
      } else if (input.kind === 'email') {
        if (!deps.senders.hasEmail) throw emailUnavailable();
        target = { to: input.to };
      } else {
        const room = await deps.rooms.load(input.room_id, actor);
        ensureAlerting(actor, 'use', room, () => channelNotFound('Room not found.'));
        target = { room_id: room.id };
      }
      const channel = await repository.insert({
        ownerId: actor.user.id,
        teamId: input.team_id ?? null,
        name: input.name,
        kind: input.kind,
        preset: input.kind === 'webhook' ? input.preset : null,
        target,
        secretEnc: secret ? secrets.seal(secret) : null,
      });
      if (!channel) throw channelNotFound();
      await deps.audit.record({
        type: 'notification_channel.created',
        actor,
        subjectType: 'notification_channel',
        subjectId: channel.id,
        ip,
        payload: { kind: channel.kind, preset: channel.preset },
      });
      return { channel, secret, secretHint: hint(secret) };
    },

    list: async (actor: UserActor) => repository.listFor(actor.user.id, [...actor.teams.keys()]),

    async remove(id: string, actor: UserActor, ip?: string) {
      const channel = await load(id, actor, 'manage');
      await repository.delete(channel.id);
      await deps.audit.record({
        type: 'notification_channel.deleted',
        actor,
        subjectType: 'notification_channel',
        subjectId: channel.id,
        ip,
      });
    },

    /** "Send test notification": delivered now, not through the outbox; the answer says what happened. */
    async test(id: string, actor: UserActor) {
      const channel = await load(id, actor, 'use');
      const payload: NotificationPayload = {
        status: 'test',
        rule: {
          id: 'test',
          name: 'Test notification',
          kind: 'test',
          severity: 'info',
          path: null,
          op: null,
          threshold: null,
        },
        agent: { id: 'test', name: 'AgentHub', server_id: null },
        value: null,
        started_at: new Date().toISOString(),
        url: `${deps.publicUrl}/dashboard`,
      };
      const outcome = await deps.senders.send({
        key: `test:${randomUUID()}`,
        channel,
        secret: secretOf(channel),
        payload,
      });
      return outcome.ok ? { delivered: true, error: null } : { delivered: false, error: outcome.error };
    },
  };
}

export type NotificationChannelsService = ReturnType<typeof createNotificationChannelsService>;
