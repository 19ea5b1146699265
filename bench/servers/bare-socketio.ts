// Baseline: socket.io alone, no auth and no persistence. Same namespace, events, payload
// shape and transport as AgentHub; a socket joins the room named in its handshake query.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer((request, response) => {
  response.writeHead(request.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
  response.end('{"status":"ok"}');
});
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  pingInterval: 10_000,
  pingTimeout: 20_000,
});
const nsp = io.of('/agents');
const lastSeq = new Map<string, number>();

nsp.on('connection', (socket) => {
  const room = String(socket.handshake.query['room'] ?? 'lobby');
  void socket.join(room);
  socket.emit('connected', {
    agent_id: socket.id,
    rooms: [{ id: room, slug: room, last_seq: lastSeq.get(room) ?? 0 }],
  });
  socket.on('message:send', (payload: { body?: unknown; client_msg_id?: unknown }, ack?: unknown) => {
    const seq = (lastSeq.get(room) ?? 0) + 1;
    lastSeq.set(room, seq);
    const message = {
      id: randomUUID(),
      room_id: room,
      seq,
      sender_id: socket.id,
      sender_type: 'agent',
      body: String(payload.body),
      client_msg_id: typeof payload.client_msg_id === 'string' ? payload.client_msg_id : null,
      created_at: new Date().toISOString(),
    };
    nsp.to(room).emit('message:new', message);
    if (typeof ack === 'function') (ack as (reply: unknown) => void)({ ok: true, message, duplicate: false });
  });
});

http.listen(Number(process.env['PORT']), '127.0.0.1');
process.on('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
