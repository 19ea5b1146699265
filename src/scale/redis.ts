import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { createAdapter } from '@socket.io/redis-adapter';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import type { Metrics } from '../observability/metrics.js';

/**
 * The Redis connections of one instance: `commands` for keys (rate limits,
 * presence, job locks, fan-out publishes) fails fast while Redis is down or
 * stalled, so requests are never held up by it; `pub`/`sub` carry socket.io
 * broadcasts. Loaded only when REDIS_URL is set.
 */
export interface RedisLink {
  instanceId: string;
  /** Prefix of every key and channel (REDIS_PREFIX). */
  prefix: string;
  commands: Redis;
  pub: Redis;
  sub: Redis;
  /** socket.io's Redis adapter on `pub`/`sub`. */
  adapter: ReturnType<typeof createAdapter>;
  readonly up: boolean;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A command on a connection that stopped answering (no reset, e.g. a partition) gives up after this. */
const COMMAND_TIMEOUT_MS = 1000;

export function connectRedis(url: string, prefix: string, log: FastifyBaseLogger, metrics: Metrics): RedisLink {
  const retryStrategy = (times: number) => Math.min(times * 200, 2000);
  const commands = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy,
    connectTimeout: 2000,
    commandTimeout: COMMAND_TIMEOUT_MS,
  });
  // A command timeout here too: on a stalled connection, broadcasts would otherwise pile up unanswered.
  const pub = new Redis(url, {
    maxRetriesPerRequest: 1,
    retryStrategy,
    connectTimeout: 2000,
    commandTimeout: COMMAND_TIMEOUT_MS,
  });
  // No ready check: a SUBSCRIBE issued while the connection is in its handshake is written at once, and
  // the ready check's INFO that follows is then refused in subscriber mode (an unhandled rejection).
  const sub = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy,
    connectTimeout: 2000,
    enableReadyCheck: false,
  });
  // The adapter publishes without handling rejections; while Redis is down each broadcast would be an
  // unhandled rejection, which ends the process. A broadcast that cannot leave this instance waits in the
  // offline queue for one reconnection attempt, then is dropped (local sockets already have it; remote
  // clients see the seq gap and page history).
  const publish = pub.publish.bind(pub);
  pub.publish = (channel: string | Buffer, message: string | Buffer) => publish(channel, message).catch(() => 0);

  let up = false;
  const setUp = (value: boolean) => {
    if (value === up) return;
    up = value;
    metrics.redisUp.set(value ? 1 : 0);
    if (value) log.info('redis connected');
    else
      log.warn('redis unavailable: serving HTTP and local sockets; cross-instance fan-out degraded until it returns');
  };
  commands.on('ready', () => setUp(true));
  commands.on('end', () => setUp(false));
  commands.on('close', () => setUp(false));
  // ioredis reconnects by itself; errors are reported through the state above, not thrown.
  for (const client of [commands, pub, sub]) client.on('error', () => undefined);
  metrics.redisUp.set(0);

  return {
    instanceId: randomUUID(),
    prefix,
    commands,
    pub,
    sub,
    adapter: createAdapter(pub, sub, { key: prefix }),
    get up() {
      return up;
    },
    async ping() {
      try {
        await commands.ping();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      // QUIT politely, but a stalled connection must not hold shutdown.
      const quits = Promise.allSettled([commands.quit(), pub.quit(), sub.quit()]);
      await Promise.race([quits, setTimeout(COMMAND_TIMEOUT_MS)]);
      for (const client of [commands, pub, sub]) client.disconnect();
    },
  };
}
