import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { inProcessAttemptLimiters, type AttemptLimiters } from './lib/attempt-limiter.js';
import { AppEventBus } from './lib/events.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import type { connectRedis, RedisLink } from './scale/redis.js';
import { sharedAttemptLimiters } from './scale/shared-attempt-limiter.js';
import { createServices, type Services } from './services.js';

/**
 * The one dependency object: built here, handed to every route module and
 * socket handler. Tests build their own on a fresh database.
 */
export interface AppContext {
  config: Config;
  database: Database;
  metrics: Metrics;
  log: FastifyBaseLogger;
  events: AppEventBus;
  services: Services;
  /** Set when REDIS_URL is: the scale-out link (socket.io adapter, fan-out, shared limits). */
  redis: RedisLink | undefined;
  /** Failed-attempt limits: shared through Redis when it is set, in process otherwise (and while Redis is away). */
  attemptLimiters: AttemptLimiters;
  /** Times a named database operation into agenthub_db_query_duration_seconds. */
  timed<T>(operation: string, work: () => Promise<T>): Promise<T>;
  /** Work to run when the app closes (flush buffers, stop jobs), in registration order. */
  onClose(task: () => Promise<void> | void): void;
  runCloseTasks(): Promise<void>;
}

export function createContext(options: {
  config: Config;
  database: Database;
  log: FastifyBaseLogger;
  /** Given only with REDIS_URL, so a single instance never loads ioredis. */
  connectRedis?: typeof connectRedis | undefined;
}): AppContext {
  const { connectRedis: connect, ...given } = options;
  const metrics = createMetrics();
  const events = new AppEventBus();
  const { REDIS_URL, REDIS_PREFIX } = options.config;
  const redis = REDIS_URL && connect ? connect(REDIS_URL, REDIS_PREFIX, options.log, metrics) : undefined;
  const attemptLimiters = redis ? sharedAttemptLimiters(redis) : inProcessAttemptLimiters;
  const services = createServices({
    config: options.config,
    db: options.database.db,
    embedded: options.database.kind === 'pglite',
    log: options.log,
    events,
    metrics,
    limiters: attemptLimiters,
  });
  const closeTasks: (() => Promise<void> | void)[] = [];
  return {
    ...given,
    redis,
    attemptLimiters,
    metrics,
    events,
    services,
    async timed(operation, work) {
      const end = metrics.dbQueryDuration.startTimer({ operation });
      try {
        return await work();
      } finally {
        end();
      }
    },
    onClose(task) {
      closeTasks.push(task);
    },
    async runCloseTasks() {
      for (const task of closeTasks.splice(0)) await task();
    },
  };
}
