import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/client/index.js';
import {
  agentCli,
  createOwner,
  linkWithCli,
  spawnAgentCli,
  startRestartableServer,
  waitFor,
  type Owner,
  type RestartableServer,
} from '../harness/agent-cli.js';
import { makeTempDir } from '../harness/temp-dir.js';

/** `agenthub agent send` and `listen`: the CLI in rooms, against a listening server. */
// Each case starts real CLI processes (tsx transpiles them): allow for a busy machine.
describe('agenthub agent send and listen (command line)', { timeout: 120_000 }, () => {
  const dir = makeTempDir('agent-rooms');
  let server: RestartableServer;
  let owner: Owner;
  let agentId: string;
  let roomId: string;

  beforeAll(async () => {
    server = await startRestartableServer({ config: { DEVICE_POLL_INTERVAL: 1 } });
    owner = await createOwner(server.app);
    const linked = await linkWithCli(server, owner, dir.path, { serverId: 'srv-rooms' });
    if (linked.result.code !== 0 || !linked.agentId) throw new Error(`link failed: ${linked.result.stderr}`);
    agentId = linked.agentId;
    const { room } = await server.app.ctx.services.rooms.create(owner.actor, { slug: 'ops', name: 'Ops' });
    await server.app.ctx.services.rooms.addMember(room.id, agentId, owner.actor);
    roomId = room.id;
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('sends a message to a room by slug and prints the stored message as JSON', async () => {
    const result = await agentCli(dir.path, ['send', '--room', 'ops', 'disk', 'almost', 'full']);
    expect(result.code, result.stderr).toBe(0);
    const message = JSON.parse(result.stdout) as Message;
    expect(message).toMatchObject({ room_id: roomId, body: 'disk almost full', sender_id: agentId });
    const history = await server.app.ctx.services.rooms.history(roomId, owner.actor, { afterSeq: 0, limit: 10 });
    expect(history.messages.map((m) => m.body)).toEqual(['disk almost full']);
  });

  it('listens to a room, printing one JSON line per message in order, until SIGINT', async () => {
    const listen = spawnAgentCli(dir.path, ['listen', '--room', roomId]);
    await waitFor(() => listen.stderr.includes('Listening to room ops'), 'the listener to join');
    for (const body of ['one', 'two', 'three']) await server.app.ctx.services.rooms.send(owner.actor, { roomId, body });
    await waitFor(() => listen.stdout.split('\n').filter(Boolean).length >= 3, 'three lines');
    listen.child.kill('SIGINT');
    const result = await listen.exited(30_000);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n').filter(Boolean);
    const messages = lines.map((l) => JSON.parse(l) as Message);
    expect(messages.map((m) => m.body)).toEqual(['one', 'two', 'three']);
    expect(messages.map((m) => m.seq)).toEqual([2, 3, 4]);
  });

  it("refuses a room the agent is not a member of, with the server's reason", async () => {
    await server.app.ctx.services.rooms.create(owner.actor, { slug: 'private', name: 'Private' });
    const [send, listen] = await Promise.all([
      agentCli(dir.path, ['send', '--room', 'private', 'hello']),
      agentCli(dir.path, ['listen', '--room', 'private']),
    ]);
    for (const result of [send, listen]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^The server refused: HTTP 40[34]/m);
    }
  });
});
