import type { FastifyBaseLogger } from 'fastify';
import type { AppEventBus, AppEvents } from '../lib/events.js';
import type { RedisLink } from './redis.js';

const CHANNEL = 'agenthub:events';

/** Events every instance must see: revocations (drop sockets, forget cached checks) and membership changes. */
const FANNED_OUT = [
  'agent.revoked',
  'credential.revoked',
  'room.member_added',
  'room.member_removed',
  'room.archived',
] as const satisfies readonly (keyof AppEvents)[];
type FannedEvent = (typeof FANNED_OUT)[number];

/**
 * Relays local events to the other instances over Redis pub/sub and replays
 * theirs on the local bus. Messages are not relayed here: socket.io's Redis
 * adapter already carries room broadcasts.
 */
export async function startEventFanout(
  events: AppEventBus,
  redis: RedisLink,
  log: FastifyBaseLogger,
): Promise<() => void> {
  const fromElsewhere = new WeakSet<object>();
  const listeners = FANNED_OUT.map((name) => {
    const listener = (payload: object) => {
      if (fromElsewhere.has(payload)) return;
      redis.pub
        .publish(CHANNEL, JSON.stringify({ origin: redis.instanceId, name, payload }))
        .catch((err: unknown) => log.warn({ err, event: name }, 'event fan-out failed'));
    };
    events.on(name, listener);
    return [name, listener] as const;
  });

  const onMessage = (channel: string, raw: string) => {
    if (channel !== CHANNEL) return;
    try {
      const { origin, name, payload } = JSON.parse(raw) as { origin: string; name: FannedEvent; payload: object };
      if (origin === redis.instanceId || !(FANNED_OUT as readonly string[]).includes(name)) return;
      fromElsewhere.add(payload);
      (events.emit as (event: string, payload: object) => boolean)(name, payload);
    } catch (err) {
      log.warn({ err }, 'ignored a malformed fan-out event');
    }
  };
  // Its own subscriber connection: socket.io's adapter owns redis.sub.
  const subscriber = redis.pub.duplicate();
  subscriber.on('error', () => undefined);
  subscriber.on('message', onMessage);
  await subscriber
    .subscribe(CHANNEL)
    .catch((err: unknown) => log.warn({ err }, 'event fan-out subscription pending until redis returns'));

  return () => {
    for (const [name, listener] of listeners) events.off(name, listener);
    subscriber.disconnect();
  };
}
