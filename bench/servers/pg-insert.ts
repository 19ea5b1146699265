// Baseline: Fastify + pg, one INSERT per request, no auth and no validation.
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 20 });
const app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
app.get('/healthz', () => ({ status: 'ok' }));
app.post('/ingest', async (request) => {
  const body = request.body as { agent_id: string; server_id: string; timestamp: number; metrics: unknown };
  await pool.query('insert into bench_metrics (agent_id, server_id, ts, data) values ($1, $2, to_timestamp($3), $4)', [
    body.agent_id,
    body.server_id,
    body.timestamp,
    JSON.stringify(body.metrics),
  ]);
  return { status: 'success', accepted: 1 };
});
await app.listen({ host: '127.0.0.1', port: Number(process.env['PORT']) });
