// Baseline: the HTTP ceiling. Parses the same JSON body and answers, nothing else.
import Fastify from 'fastify';

const app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
app.get('/healthz', () => ({ status: 'ok' }));
app.post('/ingest', (request) => ({
  status: 'success',
  accepted: (request.body as { samples?: unknown[] }).samples?.length ?? 1,
}));
await app.listen({ host: '127.0.0.1', port: Number(process.env['PORT']) });
