import { randomUUID } from 'node:crypto';
import type { ServerOptions } from 'node:http';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { createContext, type AppContext } from './context.js';
import type { Database } from './db/client.js';
import { registerAuthGuard } from './identity/http/auth-guard.js';
import { startJobs } from './lib/jobs.js';
import { startEventFanout } from './scale/event-fanout.js';
import { createJobLock } from './scale/job-lock.js';
import { attachSocketServer } from './realtime/socket-server.js';
import { maintainMetricsPartitions } from './modules/metrics/metrics-maintenance.js';
import { clientErrorHandler } from './http/client-errors.js';
import { registerErrorHandler } from './http/error-handler.js';
import { loggerOptions } from './http/logger.js';
import { registerOpenApi } from './http/openapi.js';
import { registerLingeringClose } from './http/lingering-close.js';
import { registerHttpMetrics } from './http/prometheus.js';
import { registerRateLimit } from './http/rate-limit.js';
import type { AppInstance, AuthKind, RouteModule } from './http/route-module.js';
import { routeModules } from './http/routes.js';
import { registerSecurity } from './http/security.js';

export interface BuildAppOptions {
  config: Config;
  database: Database;
  /** Log destination (tests capture it to prove secrets are never logged). */
  logStream?: DestinationStream;
  /** Extra route modules (tests use this to exercise failure paths). */
  extraRoutes?: RouteModule[];
}

export interface App {
  app: AppInstance;
  ctx: AppContext;
  /** Every route registered, with the auth kinds it declared (plugin routes declare none). */
  routes: readonly DeclaredRoute[];
}

export interface DeclaredRoute {
  method: string;
  url: string;
  auth: readonly AuthKind[] | undefined;
}

/** How soon after its expiry a claim's room hears `claim:expired`. */
const CLAIMS_SWEEP_MS = 1000;
const REQUEST_ID = /^[\w.:-]{1,64}$/;
// Routes registered by ecosystem plugins that cannot carry our auth config.
const PLUGIN_ROUTE_PREFIXES = ['/docs', '/static/'];

/**
 * Node's server options Fastify has no name for. Node enforces headersTimeout and requestTimeout only
 * when it sweeps its connections (every 30 s by default), so a slow client could hold a socket for the
 * timeout plus 30 s; sweeping at a quarter of the headers timeout bounds that to 1.25 times the timeout.
 * requestTimeout is repeated here so that Node refuses a headersTimeout above it.
 */
function slowClientLimits(config: Config): ServerOptions {
  const headersTimeout = config.HEADERS_TIMEOUT_MS ?? config.REQUEST_TIMEOUT_MS;
  return {
    headersTimeout,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: Math.max(50, Math.floor(headersTimeout / 4)),
  };
}

/** Builds the whole app without listening: the entry point and every test call this. */
export async function buildApp(options: BuildAppOptions): Promise<App> {
  const { config, database } = options;
  const app = Fastify({
    logger: loggerOptions(config.LOG_LEVEL, options.logStream),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: 60_000,
    http: slowClientLimits(config),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Scale-out code is imported only with REDIS_URL: one instance loads nothing from Redis.
  const scale = config.REDIS_URL ? await import('./scale/redis.js') : undefined;
  const ctx = createContext({ config, database, log: app.log, connectRedis: scale?.connectRedis });

  const routes: DeclaredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, auth: route.config?.auth });
    if (route.config?.auth || route.method === 'OPTIONS' || PLUGIN_ROUTE_PREFIXES.some((p) => route.url.startsWith(p)))
      return;
    throw new Error(`Route ${route.method.toString()} ${route.url} does not declare config.auth`);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  // Ecosystem plugins first, then ours, then routes (the Fastify guide's loading order).
  // Signed cookies verify with the previous secret during a rotation (the first one signs).
  await app.register(cookie, {
    secret: config.COOKIE_PREVIOUS_SECRET ? [config.cookieSecret, config.COOKIE_PREVIOUS_SECRET] : config.cookieSecret,
  });
  await app.register(formbody);
  await registerSecurity(app, config);
  await registerRateLimit(app, config, ctx.redis);
  await registerOpenApi(app, config);
  registerErrorHandler(app);
  registerHttpMetrics(app, ctx);
  registerLingeringClose(app, {
    maxBytes: config.LINGER_MAX_BYTES,
    timeoutMs: config.LINGER_TIMEOUT_MS,
  });
  registerAuthGuard(app, ctx);

  for (const routes of [...routeModules, ...(options.extraRoutes ?? [])]) await routes(app, ctx);
  if (config.FEATURE_MESSAGING_ENABLED) attachSocketServer(app, ctx);
  const redis = ctx.redis;
  if (redis) {
    const stopFanout = await startEventFanout(ctx.events, redis, ctx.log);
    ctx.onClose(stopFanout);
  }

  // Maintenance runs once per tick across the fleet.
  const jobs = startJobs(
    [
      { name: 'devices.cleanup', everyMs: 60_000, run: () => ctx.services.devices.cleanup() },
      { name: 'sessions.purge', everyMs: 3_600_000, run: () => ctx.services.sessions.purgeExpired() },
      { name: 'metrics.partitions', everyMs: 3_600_000, run: () => maintainMetricsPartitions(ctx) },
      // Expired claims stopped counting at expires_at already (every query checks it); this tells their rooms.
      { name: 'claims.sweep', everyMs: CLAIMS_SWEEP_MS, run: () => ctx.services.claims.sweep() },
    ],
    ctx.log,
    createJobLock(ctx.redis),
  );
  // Alerting: one evaluator per tick across the fleet (and an advisory lock); every instance sends, since
  // rows are claimed with SKIP LOCKED.
  const alerting = config.ALERTS_ENABLED
    ? startJobs(
        [
          {
            name: 'alerts.evaluate',
            everyMs: config.ALERT_EVAL_INTERVAL * 1000,
            run: () => ctx.services.alerting.evaluation.evaluateAll(),
          },
        ],
        ctx.log,
        createJobLock(ctx.redis),
      )
    : undefined;
  const deliveries = config.ALERTS_ENABLED
    ? startJobs([{ name: 'alerts.deliver', everyMs: 1000, run: () => ctx.services.alerting.delivery.tick() }], ctx.log)
    : undefined;
  // Wake hooks: one scan per tick across the fleet (and an advisory lock); every instance sends (SKIP LOCKED).
  const wakes = config.WAKE_ENABLED
    ? [
        startJobs(
          [{ name: 'wake.scan', everyMs: 1000, run: () => ctx.services.wake.scan.tick() }],
          ctx.log,
          createJobLock(ctx.redis),
        ),
        startJobs([{ name: 'wake.deliver', everyMs: 1000, run: () => ctx.services.wake.delivery.tick() }], ctx.log),
      ]
    : [];
  // Every instance refreshes its own gauge: each one is scraped, and a gauge only the lock's winner set would go stale.
  const gauges = startJobs(
    [
      {
        name: 'metrics.agents_online',
        everyMs: 15_000,
        run: async () => ctx.metrics.agentsOnline.set(await ctx.services.metrics.countOnline()),
      },
    ],
    ctx.log,
  );
  ctx.onClose(async () => {
    await Promise.all([
      jobs.stop(),
      gauges.stop(),
      alerting?.stop(),
      deliveries?.stop(),
      ...wakes.map((w) => w.stop()),
    ]);
    ctx.services.alerting.delivery.close();
  });
  // Graceful shutdown: every acknowledged-to-be metrics request is committed before the database closes.
  ctx.onClose(() => ctx.services.metrics.drain());
  ctx.onClose(() => ctx.services.audit.flush());
  ctx.onClose(() => ctx.services.inbox.drain());
  if (redis) ctx.onClose(() => redis.close());
  app.addHook('onClose', async () => {
    await ctx.runCloseTasks();
  });
  await app.ready();
  return { app, ctx, routes };
}
