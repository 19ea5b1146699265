import type { Config } from '../../config.js';
import type { AppEventBus } from '../../lib/events.js';
import { badRequest } from '../../lib/errors.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Actor, AgentIdentity } from '../../identity/actor.model.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { IngestSample } from './formats/ingest-sample.js';
import { createIngestBuffer } from './ingest-buffer.js';
import { checkMetricsShape } from './metrics-shape.js';
import { invalidSample, serverIdMismatch } from './metrics.errors.js';
import type { MetricsRepository, MetricsRow } from './metrics.repository.js';

/** An agent's last_seen_at is written at most this often (it is also coalesced per flush). */
const LAST_SEEN_EVERY_MS = 5000;
const MAX_SERIES_POINTS = 10_000;

export interface IngestBody {
  server_id: string;
  timestamp?: number | undefined;
  metrics?: unknown;
  samples?: { timestamp: number; metrics: unknown }[] | undefined;
}

/** Who reports: an agent, by access token or (stock agents) by its API token. */
export interface Reporter {
  agent: AgentIdentity;
}

interface Deps {
  config: Config;
  repository: MetricsRepository;
  agents: AgentsService;
  metrics: Metrics;
  events: AppEventBus;
  /** PGlite has one connection: more than one flush in flight only queues inside it. */
  flushConcurrency: number;
}

export function createMetricsService({ config, repository, agents, metrics, events, flushConcurrency }: Deps) {
  const lastSeenWritten = new Map<string, number>();

  const buffer = createIngestBuffer<MetricsRow>({
    maxQueuedRows: config.INGEST_MAX_QUEUED_ROWS,
    maxBatchRows: config.INGEST_MAX_BATCH_ROWS,
    concurrency: flushConcurrency,
    timeoutMs: config.INGEST_TIMEOUT_MS,
    flush: async (rows) => {
      const seen = agentsToMarkSeen(rows);
      await repository.insertBatch(rows, seen);
      if (seen.length > 0) events.emit('agent.seen', { agentIds: seen });
    },
    onFlush: (rows, seconds) => {
      metrics.ingestBatchRows.observe(rows);
      metrics.ingestFlushDuration.observe(seconds);
      metrics.samplesIngested.inc(rows);
    },
  });

  function agentsToMarkSeen(rows: MetricsRow[]): string[] {
    const now = Date.now();
    const ids: string[] = [];
    for (const row of rows) {
      const last = lastSeenWritten.get(row.agent_id) ?? 0;
      if (now - last < LAST_SEEN_EVERY_MS) continue;
      lastSeenWritten.set(row.agent_id, now);
      ids.push(row.agent_id);
    }
    if (lastSeenWritten.size > 100_000) lastSeenWritten.clear();
    return ids;
  }

  function reject(reason: string, error: Error): never {
    metrics.ingestRejected.inc({ reason });
    throw error;
  }

  /** Validates everything before anything is written: a rejected request stores nothing. */
  function toRows(actor: Reporter, body: IngestBody): MetricsRow[] {
    const expected = actor.agent.serverId;
    if (body.server_id !== expected) reject('server_id_mismatch', serverIdMismatch(expected, body.server_id));
    const now = Date.now() / 1000;
    if (body.samples === undefined) {
      const row = toRow(actor, body.server_id, body.timestamp, body.metrics, '', now);
      metrics.ingestClockSkew.observe(Math.abs(now - row.ts));
      return [row];
    }
    return samplesToRows(actor, body.server_id, body.samples, now);
  }

  /** Duplicates within a request collapse to the first. */
  function samplesToRows(
    actor: Reporter,
    serverId: string,
    samples: readonly { timestamp: number; metrics: unknown }[],
    now: number,
  ): MetricsRow[] {
    const byTimestamp = new Map<number, MetricsRow>();
    let latest = -Infinity;
    samples.forEach((sample, index) => {
      const row = toRow(actor, serverId, sample.timestamp, sample.metrics, `samples[${index}].`, now);
      if (!byTimestamp.has(row.ts)) byTimestamp.set(row.ts, row);
      if (row.ts > latest) latest = row.ts;
    });
    metrics.ingestClockSkew.observe(Math.abs(now - latest));
    return [...byTimestamp.values()];
  }

  async function store(rows: MetricsRow[]): Promise<{ accepted: number }> {
    try {
      await buffer.write(rows);
    } catch (error) {
      metrics.ingestRejected.inc({ reason: 'unavailable' });
      throw error;
    }
    return { accepted: rows.length };
  }

  function toRow(
    actor: Reporter,
    serverId: string,
    ts: number | undefined,
    data: unknown,
    at: string,
    now: number,
  ): MetricsRow {
    if (typeof ts !== 'number') reject('invalid', invalidSample(`${at}timestamp`, 'required (unix seconds)'));
    if (ts < now - config.INGEST_WINDOW_BACK || ts > now + config.INGEST_WINDOW_AHEAD)
      reject(
        'out_of_window',
        invalidSample(
          `${at}timestamp`,
          `outside the accepted window (${config.INGEST_WINDOW_BACK}s back, ${config.INGEST_WINDOW_AHEAD}s ahead)`,
        ),
      );
    const problem = checkMetricsShape(data);
    if (problem) reject('invalid', invalidSample(`${at}metrics`, problem));
    // Milliseconds are what Postgres keeps reliably across drivers.
    const rounded = Math.round(ts * 1000) / 1000;
    return { agent_id: actor.agent.id, server_id: serverId, ts: rounded, data: data as Record<string, unknown> };
  }

  return {
    ingest: (actor: Reporter, body: IngestBody): Promise<{ accepted: number }> => store(toRows(actor, body)),

    /**
     * Snapshots a stock agent's format was mapped onto (line protocol, OTLP, remote_write), for the caller's own
     * agent: the route has checked the format's host binding. The same checks, limits and commit as `ingest`.
     */
    async ingestSamples(actor: Reporter, samples: readonly IngestSample[]): Promise<{ accepted: number }> {
      const serverId = actor.agent.serverId;
      if (serverId === null) reject('server_id_mismatch', serverIdMismatch(null, ''));
      if (samples.length === 0) return { accepted: 0 };
      if (samples.length > config.INGEST_MAX_SAMPLES)
        reject('invalid', invalidSample('samples', `more than ${config.INGEST_MAX_SAMPLES} snapshots in one request`));
      return store(samplesToRows(actor, serverId, samples, Date.now() / 1000));
    },

    drain: () => buffer.drain(),

    /** GET /api/v1/metrics/:server_id (and MCP get_metrics) — snapshots of readable agents with that server_id. */
    async latest(
      actor: Actor,
      serverId: string,
      range: { from?: Date | undefined; to?: Date | undefined; limit: number },
    ) {
      const { agents: visible } = await agents.listReadable(actor);
      const ids = visible.filter((a) => a.serverId === serverId).map((a) => a.id);
      if (ids.length === 0) return undefined;
      return repository.latest(ids, range);
    },

    async series(
      actor: Actor,
      agentId: string,
      query: { path: string; from?: Date | undefined; to?: Date | undefined; step: number },
    ) {
      const { agent } = await agents.get(agentId, actor);
      const to = query.to ?? new Date();
      const from = query.from ?? new Date(to.getTime() - 3600_000);
      if (from >= to)
        throw badRequest('from must be before to.', {
          details: [{ path: 'querystring.from', message: 'must be before to' }],
        });
      if ((to.getTime() - from.getTime()) / 1000 / query.step > MAX_SERIES_POINTS) {
        throw badRequest(`At most ${MAX_SERIES_POINTS} points: widen step or narrow the range.`, {
          details: [{ path: 'querystring.step', message: 'too many points' }],
        });
      }
      const points = await repository.series(agent.id, query.path.split('.'), { from, to, stepSeconds: query.step });
      return { path: query.path, step: query.step, points };
    },

    countOnline: () => repository.countOnline(new Date(Date.now() - config.AGENT_OFFLINE_AFTER * 1000)),
  };
}

export type MetricsService = ReturnType<typeof createMetricsService>;
