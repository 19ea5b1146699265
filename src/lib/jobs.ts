import type { FastifyBaseLogger } from 'fastify';

export interface Job {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

/**
 * In-process periodic jobs. Each job must be idempotent (several instances may
 * run it at once); a run never overlaps the previous one, and failures are logged, not thrown.
 */
export function startJobs(
  jobs: Job[],
  log: FastifyBaseLogger,
  /** Decides whether this instance runs this tick (one run per tick across a fleet). */
  claim: (job: string, periodMs: number) => Promise<boolean> = () => Promise.resolve(true),
): { stop: () => Promise<void> } {
  const running = new Set<Promise<unknown>>();
  const timers = jobs.map((job) => {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      const run = claim(job.name, job.everyMs)
        .then((mine) => (mine ? job.run() : undefined))
        .catch((err: unknown) => log.warn({ err, job: job.name }, 'scheduled job failed'))
        .finally(() => {
          busy = false;
          running.delete(run);
        });
      running.add(run);
    }, job.everyMs);
    timer.unref();
    return timer;
  });
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...running]);
    },
  };
}
