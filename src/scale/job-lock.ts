import type { RedisLink } from './redis.js';

/**
 * Lets one instance of the fleet run a job per tick: the first to set the key
 * wins, and the key lives slightly less than the job's period. Without Redis
 * (one instance) every tick runs; while Redis is down, ticks run locally
 * (the jobs are idempotent, so a duplicate run is harmless).
 */
export function createJobLock(redis: RedisLink | undefined) {
  return async (job: string, periodMs: number): Promise<boolean> => {
    if (!redis) return true;
    try {
      const won = await redis.commands.set(
        `${redis.prefix}:job:${job}`,
        redis.instanceId,
        'PX',
        Math.max(100, Math.floor(periodMs * 0.9)),
        'NX',
      );
      return won === 'OK';
    } catch {
      return true;
    }
  };
}
