import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import type { Metrics } from '../observability/metrics.js';

/**
 * The Redis connections of one instance: `commands` for keys (rate limits,
 * presence, job locks) fails fast while Redis is down, so requests are never
 * held up by it; `pub`/`sub` carry socket.io broadcasts and event fan-out.
 */
export interface RedisLink {
  instanceId: string;
  commands: Redis;
  pub: Redis;
  sub: Redis;
  readonly up: boolean;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function connectRedis(url: string, log: FastifyBaseLogger, metrics: Metrics): RedisLink {
  const retryStrategy = (times: number) => Math.min(times * 200, 2000);
  const commands = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy,
    connectTimeout: 2000,
  });
  const pub = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy });
  const sub = new Redis(url, { maxRetriesPerRequest: null, retryStrategy });
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
    commands,
    pub,
    sub,
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
      await Promise.allSettled([commands.quit(), pub.quit(), sub.quit()]);
      for (const client of [commands, pub, sub]) client.disconnect();
    },
  };
}
