import type { FastifyBaseLogger } from 'fastify';
import type { AppEventBus, AppEvents } from '../lib/events.js';
import type { RedisLink } from './redis.js';

/**
 * Events every instance must see: revocations (drop sockets, forget cached checks), membership changes,
 * new messages (sockets, people's room pages and MCP waits on every instance), claims changing and the changes live
 * dashboards show.
 */
const FANNED_OUT = [
  'agent.revoked',
  'credential.revoked',
  'room.member_added',
  'room.member_removed',
  'room.archived',
  'message.created',
  'claim.changed',
  'agent.linked',
  'agent.seen',
  'alerts.changed',
] as const satisfies readonly (keyof AppEvents)[];
type FannedEvent = (typeof FANNED_OUT)[number];

/** A metrics flush announces its agents many times a second: their ids are merged and sent this often. */
const SEEN_EVERY_MS = 1000;

/** What JSON loses on the way: a message's timestamps arrive as strings. */
function revive(name: FannedEvent, payload: object): object {
  if (name !== 'message.created') return payload;
  const created = payload as AppEvents['message.created'][0];
  const { message } = created;
  return {
    ...created,
    message: {
      ...message,
      createdAt: new Date(message.createdAt),
      lastReplyAt: message.lastReplyAt ? new Date(message.lastReplyAt) : null,
    },
  };
}

/**
 * Relays local events to the other instances over Redis pub/sub and replays
 * theirs on the local bus, so every instance hears every event once and acts
 * on its own sockets and streams only.
 */
export async function startEventFanout(
  events: AppEventBus,
  redis: RedisLink,
  log: FastifyBaseLogger,
): Promise<() => void> {
  const channel = `${redis.prefix}:events`;
  const fromElsewhere = new WeakSet<object>();
  const publish = (name: FannedEvent, payload: object) => {
    // On the fail-fast connection: while Redis is down the event is lost, and that is worth a warning.
    redis.commands
      .publish(channel, JSON.stringify({ origin: redis.instanceId, name, payload }))
      .catch((err: unknown) => log.warn({ err, event: name }, 'event fan-out failed'));
  };
  const seen = new Set<string>();
  let seenTimer: NodeJS.Timeout | undefined;
  const publishSeen = () => {
    seenTimer = undefined;
    publish('agent.seen', { agentIds: [...seen] });
    seen.clear();
  };
  const listeners = FANNED_OUT.map((name) => {
    const listener = (payload: object) => {
      if (fromElsewhere.has(payload)) return;
      if (name !== 'agent.seen') return publish(name, payload);
      for (const id of (payload as AppEvents['agent.seen'][0]).agentIds) seen.add(id);
      seenTimer ??= setTimeout(publishSeen, SEEN_EVERY_MS).unref();
    };
    events.on(name, listener);
    return [name, listener] as const;
  });

  const onMessage = (from: string, raw: string) => {
    if (from !== channel) return;
    try {
      const { origin, name, payload } = JSON.parse(raw) as { origin: string; name: FannedEvent; payload: object };
      if (origin === redis.instanceId || !(FANNED_OUT as readonly string[]).includes(name)) return;
      const replayed = revive(name, payload);
      fromElsewhere.add(replayed);
      (events.emit as (event: string, payload: object) => boolean)(name, replayed);
    } catch (err) {
      log.warn({ err }, 'ignored a malformed fan-out event');
    }
  };
  // On the adapter's subscriber connection: its SUBSCRIBE is queued behind the adapter's own, so once it
  // is confirmed this instance hears broadcasts too. `sub` keeps commands queued however long Redis is
  // away (a rejected SUBSCRIBE would never be resent) and resubscribes after every reconnection.
  redis.sub.on('message', onMessage);
  const subscribed = redis.sub.subscribe(channel).then(
    () => undefined,
    () => undefined, // only when closed
  );
  // Startup waits for the subscription unless Redis is unreachable (then it completes when Redis returns).
  let onError: () => void = () => undefined;
  const unreachable = new Promise<void>((resolve) => {
    onError = resolve;
    redis.sub.once('error', onError);
  });
  await Promise.race([subscribed, unreachable]);
  redis.sub.off('error', onError);
  if (redis.sub.status !== 'ready') log.warn('event fan-out subscription pending until redis returns');

  return () => {
    if (seenTimer) clearTimeout(seenTimer);
    for (const [name, listener] of listeners) events.off(name, listener);
    redis.sub.off('message', onMessage);
  };
}
