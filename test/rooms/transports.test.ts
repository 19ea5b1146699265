import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, until, type Hello, type WireMessage } from '../harness/sockets.js';

describe('the HTTP long-polling fallback', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let polling: Socket | undefined;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
  });
  afterAll(async () => {
    polling?.close();
    closeAllSockets();
    await t.close();
  });

  it('authenticates, sends and receives over polling alone, in the same rooms as websocket clients', async () => {
    const room = await createRoom(t, admin);
    const viaWebsocket = await connectAgent(t.url, (await createRoomAgent(t, admin, { rooms: [room.id] })).jwt);
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const received: WireMessage[] = [];
    polling = io(`${t.url}/agents`, {
      auth: { token: agent.jwt },
      transports: ['polling'],
      upgrade: false,
      reconnection: false,
      forceNew: true,
    });
    polling.on('message:new', (m: WireMessage) => received.push(m));
    const hello = await new Promise<Hello>((resolve, reject) => {
      polling!.once('connected', resolve);
      polling!.once('connect_error', reject);
    });
    expect(polling.io.engine.transport.name).toBe('polling');
    expect(hello.rooms.map((r) => r.id)).toContain(room.id);

    const ack = (await polling.timeout(20_000).emitWithAck('message:send', { room_id: room.id, body: 'polled' })) as {
      ok: boolean;
    };
    expect(ack).toMatchObject({ ok: true, message: { body: 'polled', seq: 1 } });
    await until('the websocket member to receive it', () => viaWebsocket.received.length === 1);
    expect(await viaWebsocket.send(room.id, 'pushed')).toMatchObject({ ok: true });
    await until('the polling member to receive both', () => received.length === 2);
    expect(received.map((m) => m.body)).toEqual(['polled', 'pushed']);
  });

  it('refuses a polling handshake without a token with connect_error unauthorized', async () => {
    const refused = io(`${t.url}/agents`, { transports: ['polling'], reconnection: false, forceNew: true });
    const error = await new Promise<Error & { data?: { code?: string } }>((resolve) =>
      refused.once('connect_error', resolve),
    );
    refused.close();
    expect(error.data?.code).toBe('unauthorized');
  });
});
