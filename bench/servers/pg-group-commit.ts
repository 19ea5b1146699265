// Reference: the hand-written group commit — Fastify + pg, no auth and no validation. A request
// queues its row and waits; a flush starts at once whenever none is in flight and takes everything queued
// meanwhile in one multi-row INSERT; each request is answered after the commit that holds its row.
// It shows what durable ingestion costs on this machine before AgentHub adds anything of its own.
import Fastify from 'fastify';
import pg from 'pg';

interface Row {
  agent_id: string;
  server_id: string;
  ts: number;
  data: unknown;
}

const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 4 });
const INSERT = {
  name: 'bench-group-commit',
  text: `insert into bench_group (agent_id, server_id, ts, data)
         select r.agent_id, r.server_id, to_timestamp(r.ts), r.data
         from json_to_recordset($1::json) as r(agent_id uuid, server_id text, ts double precision, data jsonb)
         on conflict do nothing`,
};

let queued: Row[] = [];
let waiting: { resolve: () => void; reject: (err: unknown) => void }[] = [];
let flushing = false;

async function flush(): Promise<void> {
  flushing = true;
  while (queued.length > 0) {
    const rows = queued;
    const done = waiting;
    queued = [];
    waiting = [];
    try {
      await pool.query({ ...INSERT, values: [JSON.stringify(rows)] });
      for (const w of done) w.resolve();
    } catch (err) {
      for (const w of done) w.reject(err);
    }
  }
  flushing = false;
}

function store(row: Row): Promise<void> {
  return new Promise((resolve, reject) => {
    queued.push(row);
    waiting.push({ resolve, reject });
    if (!flushing) void flush();
  });
}

const app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
app.get('/healthz', () => ({ status: 'ok' }));
app.post('/ingest', async (request) => {
  const body = request.body as { agent_id: string; server_id: string; timestamp: number; metrics: unknown };
  await store({ agent_id: body.agent_id, server_id: body.server_id, ts: body.timestamp, data: body.metrics });
  return { status: 'success', accepted: 1 };
});
await app.listen({ host: '127.0.0.1', port: Number(process.env['PORT']) });
