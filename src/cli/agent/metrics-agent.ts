import { AgentHubError, type RetryPolicy, type Sample } from '../../client/index.js';
import type { SystemCollector } from './collect.js';
import {
  AgentCliError,
  credentialsRejected,
  describeFailure,
  EXIT,
  isCredentialsRejected,
  isTransient,
} from './errors.js';
import type { AgentLog } from './log.js';
import type { AgentSession } from './session.js';
import type { Spool } from './spool.js';

/** Per tick: a few quick retries, then the snapshot waits in the spool for the next tick. */
export const TICK_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 5000 };

export interface RunSummary {
  collected: number;
  /** Accepted by the server, live or replayed. */
  sent: number;
  spooled: number;
  replayed: number;
  /** Refused for good by the server (400/413): never retried. */
  rejected: number;
  /** Dropped, oldest first, because the spool was full. */
  dropped: number;
  spool_depth: number;
}

export interface MetricsAgentOptions {
  intervalMs: number;
  /** Stop after this many ticks (`--ticks`, `--once`). */
  ticks?: number | undefined;
  verbose?: boolean;
  retry?: RetryPolicy;
}

/**
 * The `run` loop: collect, send, and when the server cannot take a snapshot,
 * spool it and replay the spool in order (batched) once the server is back.
 * Logs once per change of problem state, not once per tick.
 */
export class MetricsAgent {
  private readonly summary: RunSummary = {
    collected: 0,
    sent: 0,
    spooled: 0,
    replayed: 0,
    rejected: 0,
    dropped: 0,
    spool_depth: 0,
  };
  /** Why the server is not taking snapshots, while it is not. */
  private outage: string | undefined;
  private droppedInOutage = 0;
  private refusal: string | undefined;
  private stopping = false;
  private readonly wake = new AbortController();
  private readonly abort = new AbortController();

  constructor(
    private readonly session: AgentSession,
    private readonly spool: Spool,
    private readonly collector: SystemCollector,
    private readonly log: AgentLog,
    private readonly options: MetricsAgentOptions,
  ) {}

  /** First call: finish the tick in progress and stop. Second call: abort it (its snapshot stays spooled). */
  stop(): void {
    if (this.stopping) this.abort.abort(new Error('stopped'));
    this.stopping = true;
    this.wake.abort();
  }

  async run(): Promise<RunSummary> {
    const { config } = this.session;
    if (this.spool.depth > 0) {
      this.outage = 'snapshots left from an earlier run';
      this.log.info(`${this.spool.depth} snapshots spooled earlier will be replayed.`);
    }
    // The first CPU reading needs a window to measure.
    let nextAt = Date.now() + Math.min(this.options.intervalMs, 1000);
    for (let tick = 0; this.options.ticks === undefined || tick < this.options.ticks; tick++) {
      await this.sleepUntil(nextAt);
      if (this.stopping) break;
      nextAt = Math.max(nextAt + this.options.intervalMs, Date.now());
      const sample: Sample = {
        timestamp: Date.now() / 1000,
        metrics: await this.collector.collect(config.labels),
      };
      this.summary.collected += 1;
      await this.deliver(sample);
      if (this.options.verbose)
        this.log.info(`tick ${tick + 1}: ${this.outage ? `spooled (${this.spool.depth} waiting)` : 'sent'}`);
    }
    if (!this.stopping && this.spool.depth > 0) await this.replay();
    return { ...this.summary, spool_depth: this.spool.depth };
  }

  private async deliver(sample: Sample): Promise<void> {
    if (this.spool.depth > 0) {
      this.toSpool(sample);
      await this.replay();
      return;
    }
    try {
      await this.send(sample);
      this.summary.sent += 1;
      this.succeeded();
    } catch (error) {
      if (this.classify(error) === 'transient') this.toSpool(sample);
      else this.dropRefused(error, 1);
    }
  }

  /** Replays the spool oldest first, one batch (segment) per request. */
  private async replay(): Promise<void> {
    let replayed = 0;
    for (let batch = this.spool.oldest(); batch; batch = this.spool.oldest()) {
      if (!(await this.sendBatch(batch.samples))) return;
      batch.done();
      replayed += batch.samples.length;
      this.summary.replayed += batch.samples.length;
    }
    const dropped = this.droppedInOutage ? ` (${this.droppedInOutage} dropped: the spool was full)` : '';
    if (this.outage !== undefined) this.log.info(`server back, replayed ${replayed} snapshots${dropped}`);
    this.succeeded();
  }

  /**
   * Sends a batch; false when the server went away meanwhile (the batch stays spooled: snapshots it already
   * took are dropped as duplicates on replay). A batch too large for the server (413) is never sent again as
   * it is: it is split in halves, recursively, down to single snapshots, and a single snapshot still too large
   * is dropped with the reason logged. One refused for another reason (say, older than the server's window)
   * must not hold back the rest: its snapshots are sent one by one.
   */
  private async sendBatch(samples: Sample[]): Promise<boolean> {
    try {
      await this.send(samples);
      this.summary.sent += samples.length;
      return true;
    } catch (error) {
      if (this.classify(error) === 'transient') return false;
      if (samples.length === 1) {
        this.dropRefused(error, 1);
        return true;
      }
      if (!isTooLarge(error)) return this.sendEach(samples);
      const half = Math.ceil(samples.length / 2);
      return (await this.sendBatch(samples.slice(0, half))) && this.sendBatch(samples.slice(half));
    }
  }

  /** The fallback for a batch refused for what one of its snapshots holds; false when the server went away. */
  private async sendEach(samples: Sample[]): Promise<boolean> {
    for (const sample of samples) {
      try {
        await this.send(sample);
        this.summary.sent += 1;
      } catch (error) {
        if (this.classify(error) === 'transient') return false;
        this.dropRefused(error, 1);
      }
    }
    return true;
  }

  private send(samples: Sample | Sample[]) {
    return this.session.client.sendMetrics(this.session.config.server_id, samples, {
      retry: this.options.retry ?? TICK_RETRY,
      signal: this.abort.signal,
    });
  }

  /**
   * transient: the server cannot take snapshots now (an outage begins: logged
   * once); refused: it never will take this one; anything else is fatal.
   */
  private classify(error: unknown): 'transient' | 'refused' {
    if (this.abort.signal.aborted) return 'transient';
    if (isCredentialsRejected(error)) throw credentialsRejected(error);
    if (isTransient(error)) {
      if (this.outage === undefined) {
        this.outage = describeFailure(error);
        this.droppedInOutage = 0;
        const what = error.status === 0 ? 'server unreachable' : 'server unavailable';
        this.log.warn(`${what} (${this.outage}), spooling snapshots to ${this.spool.dir}`);
      }
      return 'transient';
    }
    if (error instanceof AgentHubError && error.code === 'server_id_mismatch')
      throw new AgentCliError(
        `The server refuses server_id ${this.session.config.server_id} for this agent (${error.message}); ` +
          `fix server_id in ${this.session.store.config}.`,
        EXIT.config,
      );
    if (error instanceof AgentHubError && error.status >= 400 && error.status < 500) return 'refused';
    throw error;
  }

  private dropRefused(error: unknown, count: number): void {
    this.summary.rejected += count;
    const reason = describeFailure(error);
    if (this.refusal !== reason) this.log.warn(`the server refused a snapshot (${reason}); dropped it`);
    this.refusal = reason;
  }

  private toSpool(sample: Sample): void {
    const dropped = this.spool.append(sample);
    this.summary.spooled += 1;
    if (dropped > 0) {
      if (this.droppedInOutage === 0)
        this.log.warn(`spool full (${this.spool.max} snapshots): dropping the oldest to make room`);
      this.droppedInOutage += dropped;
      this.summary.dropped += dropped;
    }
  }

  private succeeded(): void {
    this.outage = undefined;
    this.refusal = undefined;
    this.droppedInOutage = 0;
    const { store } = this.session;
    store.writeState({ ...store.readState(), last_success_at: new Date().toISOString() });
  }

  private sleepUntil(at: number): Promise<void> {
    const ms = at - Date.now();
    if (ms <= 0 || this.wake.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** 413: the request body is over the server's limit; the same body will never be taken. */
function isTooLarge(error: unknown): boolean {
  return error instanceof AgentHubError && error.status === 413;
}
