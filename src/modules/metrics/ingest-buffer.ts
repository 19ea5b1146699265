import { isDatabaseUnavailable, unavailable } from '../../lib/errors.js';
import { ingestSaturated } from './metrics.errors.js';

interface Pending<Row> {
  rows: Row[];
  resolve: () => void;
  reject: (error: Error) => void;
  /** performance.now() after which the caller is answered 503 (it may still be committed: retries are safe). */
  deadline: number;
}

export interface IngestBufferOptions<Row> {
  /** Writes and commits the rows of many requests in one statement. */
  flush: (rows: Row[]) => Promise<void>;
  maxQueuedRows: number;
  maxBatchRows: number;
  concurrency: number;
  timeoutMs: number;
  onFlush?: (rows: number, seconds: number) => void;
}

/**
 * Group commit: every request's rows wait here, and each flush commits what
 * has queued since the last one in one multi-row insert. A flush starts as soon
 * as the previous one ends — no timer wait when the database is idle — so
 * batches grow only under load (see mayStartFlush for flushes side by side).
 * A write resolves only after its own rows are committed.
 *
 * A write that finds the buffer idle starts the flush at the end of the event-loop turn (setImmediate), not in
 * its own microtask: every request whose body was read in the same turn joins it. On Postgres the flush is
 * I/O and later requests queue while it is in flight anyway; PGlite runs the statement synchronously on this
 * thread, so without the turn's wait each request was read, flushed and committed alone (one row per
 * transaction: docs/BENCHMARKS.md, 2026-12-07).
 */
export function createIngestBuffer<Row>(options: IngestBufferOptions<Row>) {
  const queue: Pending<Row>[] = [];
  let queuedRows = 0;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  let pumpScheduled = false;
  // Unanswered writes in arrival order, which is deadline order: one timer serves them all.
  const waiting = new Set<Pending<Row>>();
  let sweepTimer: NodeJS.Timeout | undefined;

  function settle(entry: Pending<Row>, error?: Error) {
    if (!waiting.delete(entry)) return; // already answered
    if (waiting.size === 0 && sweepTimer !== undefined) {
      clearTimeout(sweepTimer);
      sweepTimer = undefined;
    }
    if (error === undefined) entry.resolve();
    else entry.reject(error);
  }

  function sweep() {
    sweepTimer = undefined;
    const now = performance.now();
    for (const entry of waiting) {
      if (entry.deadline > now) break;
      settle(entry, unavailable(2, 'The database is slow to commit; retry later.'));
    }
    armSweep();
  }

  function armSweep() {
    if (sweepTimer !== undefined) return;
    const first = waiting.values().next();
    if (first.done) return;
    sweepTimer = setTimeout(sweep, Math.max(0, first.value.deadline - performance.now()));
  }

  function takeBatch(): Pending<Row>[] {
    const batch: Pending<Row>[] = [];
    let rows = 0;
    while (queue.length > 0) {
      const next = queue[0];
      if (!next || (batch.length > 0 && rows + next.rows.length > options.maxBatchRows)) break;
      queue.shift();
      queuedRows -= next.rows.length;
      if (!waiting.has(next)) continue; // timed out while waiting: its caller already answered 503
      batch.push(next);
      rows += next.rows.length;
    }
    return batch;
  }

  async function flushBatch(batch: Pending<Row>[]): Promise<void> {
    const started = performance.now();
    const rows = batch.flatMap((entry) => entry.rows);
    try {
      await options.flush(rows);
      options.onFlush?.(rows.length, (performance.now() - started) / 1000);
      for (const entry of batch) settle(entry);
    } catch (error) {
      if (isDatabaseUnavailable(error) || batch.length === 1) {
        const answer = isDatabaseUnavailable(error)
          ? unavailable(5, 'The database is unavailable; retry later.')
          : error instanceof Error
            ? error
            : new Error(String(error));
        for (const entry of batch) settle(entry, answer);
        return;
      }
      // Not an outage: commit each request on its own so one bad request cannot fail the others.
      for (const entry of batch) await flushBatch([entry]);
    }
  }

  /**
   * The first flush starts whenever anything waits. Another runs beside it only when a whole batch
   * waits: small requests then wait for one commit and go in the next, larger batch (fewer commits),
   * while a backlog of big batches is written over several connections at once.
   */
  function mayStartFlush(): boolean {
    if (queue.length === 0) return false;
    return inFlight === 0 || (inFlight < options.concurrency && queuedRows >= options.maxBatchRows);
  }

  function pump() {
    while (mayStartFlush()) {
      const batch = takeBatch();
      if (batch.length === 0) continue;
      inFlight++;
      void flushBatch(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
    if (inFlight === 0 && queue.length === 0) {
      for (const wake of idleWaiters) wake();
      idleWaiters = [];
    }
  }

  function pumpAtEndOfTurn() {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  }

  return {
    /** Resolves once the rows are committed; rejects with 503 when full, slow or the database is down. */
    write(rows: Row[]): Promise<void> {
      if (queuedRows + rows.length > options.maxQueuedRows) {
        return Promise.reject(ingestSaturated());
      }
      return new Promise<void>((resolve, reject) => {
        const entry: Pending<Row> = {
          rows,
          resolve,
          reject,
          deadline: performance.now() + options.timeoutMs,
        };
        waiting.add(entry);
        armSweep();
        queue.push(entry);
        queuedRows += rows.length;
        pumpAtEndOfTurn();
      });
    },

    get queuedRows() {
      return queuedRows;
    },

    /** Waits until everything queued has been flushed (graceful shutdown). */
    drain(): Promise<void> {
      if (inFlight === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

export type IngestBuffer<Row> = ReturnType<typeof createIngestBuffer<Row>>;
