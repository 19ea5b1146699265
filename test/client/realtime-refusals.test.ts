import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient, AgentHubError } from '../../src/client/index.js';
import type { Database } from '../../src/db/client.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import { createOwner, linkClient } from '../harness/sdk.js';

/**
 * RealtimeClient.connect() settles when the server cannot serve the socket. With its database gone, the
 * server either refuses the handshake (connect_error) or — when the credential check is still cached —
 * accepts it, fails to load the agent's rooms, says so in an `error` event and disconnects, which
 * socket.io does not retry: connect() used to wait for a `connected` that never came.
 */
describe('SDK realtime: a server that cannot serve the socket', () => {
  let database: Database;
  let t: TestApp & { url: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await startTestServer({ database, config: { DEVICE_POLL_INTERVAL: 1 } });
  });
  afterAll(() => t.close());

  it('rejects connect() with unavailable instead of hanging once the database is gone', async () => {
    const owner = await createOwner(t);
    const client = new AgentHubClient({ server: t.url });
    const { agentId } = await linkClient(t, owner, client, { serverId: 'srv-refusals' });
    const { room } = await t.ctx.services.rooms.create(owner, { slug: 'refusals', name: 'Refusals' });
    await t.ctx.services.rooms.addMember(room.id, agentId, owner);
    const first = client.realtime();
    await first.connect();
    first.close();

    await database.close();
    const second = client.realtime();
    second.on('error', () => undefined);
    const outcome = await Promise.race([
      second.connect().then(
        () => 'connected',
        (error: unknown) => error,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000)),
    ]);
    second.close();
    expect(outcome).toBeInstanceOf(AgentHubError);
    expect((outcome as AgentHubError).code).toBe('unavailable');
  });
});
