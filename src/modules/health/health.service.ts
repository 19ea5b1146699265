import type { AppContext } from '../../context.js';

/** One real round-trip with a short timeout: a hung database must not hang the probe. */
export async function checkDatabase(ctx: AppContext): Promise<'ok' | 'error'> {
  if (ctx.database.closed) return 'error';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('readiness timeout')), ctx.config.DB_READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([ctx.timed('readiness.ping', () => ctx.database.ping()), timeout]);
    return 'ok';
  } catch {
    return 'error';
  } finally {
    clearTimeout(timer);
  }
}
