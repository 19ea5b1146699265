import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric AgentHub exports, on a registry owned by one app
 * instance (tests build many apps side by side, so there is no global registry).
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'agenthub_' });
  // prom-client also exports the sums of its active handles/requests/resources gauges as gauges named
  // *_total, which promtool refuses (the suffix means a counter): sum(agenthub_nodejs_active_handles) is
  // the same number, so they are dropped.
  for (const kind of ['handles', 'requests', 'resources'])
    registry.removeSingleMetric(`agenthub_nodejs_active_${kind}_total`);
  const registers = [registry];

  return {
    registry,
    httpRequests: new Counter({
      name: 'agenthub_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'agenthub_http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern.',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    dbQueryDuration: new Histogram({
      name: 'agenthub_db_query_duration_seconds',
      help: 'Duration of database operations by operation name.',
      labelNames: ['operation'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    agentsConnected: new Gauge({
      name: 'agenthub_agents_connected',
      help: 'Agents with at least one live socket.io connection on this instance.',
      registers,
    }),
    agentsOnline: new Gauge({
      name: 'agenthub_agents_online',
      help: 'Approved agents seen within AGENT_OFFLINE_AFTER.',
      registers,
    }),
    roomsActive: new Gauge({
      name: 'agenthub_rooms_active',
      help: 'Rooms with at least one connected agent on this instance.',
      registers,
    }),
    messages: new Counter({
      name: 'agenthub_messages_total',
      help: 'Messages stored and broadcast, by room.',
      labelNames: ['room_id'] as const,
      registers,
    }),
    claims: new Counter({
      name: 'agenthub_claims_total',
      help: 'Claims asked for, by outcome (granted, or refused as a conflict).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    messageBatchRows: new Histogram({
      name: 'agenthub_message_batch_rows',
      help: 'Messages per group-commit statement of one room (sends that arrived while the previous one ran).',
      buckets: [1, 2, 5, 10, 25, 50, 100],
      registers,
    }),
    websocketLatency: new Histogram({
      name: 'agenthub_websocket_latency_seconds',
      help: 'Time to handle a socket.io event, by event name.',
      labelNames: ['event'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
      registers,
    }),
    authAttempts: new Counter({
      name: 'agenthub_auth_attempts_total',
      help: 'Authentication attempts by kind (login, token_exchange, refresh, device) and result.',
      labelNames: ['kind', 'result'] as const,
      registers,
    }),
    apiTokenChecks: new Counter({
      name: 'agenthub_api_token_checks_total',
      help: 'Accepted agt_ API tokens by how they were checked: verified (argon2id) or remembered (verified recently).',
      labelNames: ['result'] as const,
      registers,
    }),
    credentialChecks: new Counter({
      name: 'agenthub_credential_checks_total',
      help: 'Access-token credential checks by how they were answered: remembered (the validity epoch had not moved) or looked_up (a database read).',
      labelNames: ['result'] as const,
      registers,
    }),
    samplesIngested: new Counter({
      name: 'agenthub_metrics_samples_ingested_total',
      help: 'Metric snapshots committed to the database.',
      registers,
    }),
    ingestBatchRows: new Histogram({
      name: 'agenthub_ingest_batch_rows',
      help: 'Rows per group-commit flush of the ingestion buffer.',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    ingestFlushDuration: new Histogram({
      name: 'agenthub_ingest_flush_duration_seconds',
      help: 'Duration of one ingestion buffer flush (multi-row insert and commit).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    ingestRequests: new Counter({
      name: 'agenthub_ingest_requests_total',
      help: 'Metrics ingestion requests by wire format (json, line_protocol, otlp, remote_write) and HTTP status.',
      labelNames: ['format', 'status'] as const,
      registers,
    }),
    ingestRejected: new Counter({
      name: 'agenthub_ingest_rejected_total',
      help: 'Rejected metric submissions by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    ready: new Gauge({
      name: 'agenthub_ready',
      help: '1 when this instance is ready (its database answered a round-trip at scrape time), else 0.',
      registers,
    }),
    redisUp: new Gauge({
      name: 'agenthub_redis_up',
      help: '1 while the Redis link (scale-out) is connected, 0 while degraded; absent use means single instance.',
      registers,
    }),
    ingestClockSkew: new Histogram({
      name: 'agenthub_ingest_clock_skew_seconds',
      help: 'Absolute difference between the agent timestamp and the server receive time.',
      buckets: [0.1, 1, 5, 30, 60, 300, 3600, 86400],
      registers,
    }),
    alertsFiring: new Gauge({
      name: 'agenthub_alerts_firing',
      help: 'Alerts (rule, agent pairs) firing now, by severity, as of the last evaluation.',
      labelNames: ['severity'] as const,
      registers,
    }),
    notifications: new Counter({
      name: 'agenthub_notifications_total',
      help: 'Notification delivery attempts by channel kind and result (delivered, retry, failed).',
      labelNames: ['channel', 'result'] as const,
      registers,
    }),
    alertEvaluationDuration: new Histogram({
      name: 'agenthub_alert_evaluation_duration_seconds',
      help: 'Time to evaluate every enabled alert rule once.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    wakeCalls: new Counter({
      name: 'agenthub_wake_calls_total',
      help: 'Wake hook call attempts by result (delivered, retry, failed).',
      labelNames: ['result'] as const,
      registers,
    }),
    wakesQueued: new Counter({
      name: 'agenthub_wakes_queued_total',
      help: 'Wake calls queued (one per agent per coalescing window, covering every message addressed meanwhile).',
      registers,
    }),
    wakeMessages: new Counter({
      name: 'agenthub_wake_messages_total',
      help: 'Messages covered by a queued wake call (each message is covered at most once).',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
