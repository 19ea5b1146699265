import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Claim, ClaimConflict, InboxPage, Message, WakeHook } from '../../src/client/index.js';
import { queryRows } from '../../src/db/client.js';
import {
  agentCli,
  linkWithCli,
  startRestartableServer,
  type Owner,
  type RestartableServer,
} from '../harness/agent-cli.js';
import { claimOverRest, liveClaims, storedClaims } from '../harness/claims.js';
import { direct, inbox, recipientRows } from '../harness/coordination.js';
import { actorOf } from '../harness/direct-agents.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, type RoomAgent } from '../harness/rooms.js';
import { makeTempDir } from '../harness/temp-dir.js';

/** `agenthub agent inbox`, `dm`, `claim`, `release` and `wake-hook` against a listening server, as real processes. */
describe('agenthub agent coordination commands (command line)', { timeout: 120_000 }, () => {
  const dir = makeTempDir('agent-coordination');
  let server: RestartableServer;
  let owner: Owner;
  let agentId: string;
  let roomId: string;
  let peer: RoomAgent;
  /** A person of another tenant. */
  let other: Person;
  let admin: Person;
  const cli = (...args: string[]) => agentCli(dir.path, args);

  beforeAll(async () => {
    server = await startRestartableServer({ config: { DEVICE_POLL_INTERVAL: 1, WAKE_HOOK_ALLOW_PRIVATE: true } });
    admin = await signInAdmin(server.app);
    const person = await createUser(server.app, admin, { plan: 'enterprise' });
    owner = { person, actor: actorOf(person) };
    other = await createUser(server.app, admin);
    const linked = await linkWithCli(server, owner, dir.path, { serverId: 'srv-coordination' });
    if (linked.result.code !== 0 || !linked.agentId) throw new Error(`link failed: ${linked.result.stderr}`);
    agentId = linked.agentId;
    const room = await createRoom(server.app, owner.person, { slug: 'ops' });
    roomId = room.id;
    await server.app.ctx.services.rooms.addMember(roomId, agentId, owner.actor);
    peer = await createRoomAgent(server.app, admin, { owner: person, rooms: [roomId], name: 'peer' });
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('lists the inbox as JSON, acknowledges what it printed with --ack, and is empty after', async () => {
    const { message: dm } = await direct(server.app, peer, agentId, 'are the backups green?');
    expect((await postMessage(server.app, peer, roomId, '@room standup in 5')).statusCode).toBe(201);

    const listed = await cli('inbox', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    const page = JSON.parse(listed.stdout) as InboxPage;
    expect(page.pending).toBe(2);
    expect(page.items.map((item) => [item.reason, item.message.body])).toEqual([
      ['direct', 'are the backups green?'],
      ['room_mention', '@room standup in 5'],
    ]);

    const acked = await cli('inbox', '--ack', '--limit', '1');
    expect(acked.code, acked.stderr).toBe(0);
    expect(acked.stdout).toBe(
      `${page.items[0]?.room.slug}#1 direct from agent ${peer.agent.id} at ${dm.created_at}\n` +
        '  are the backups green?\n1 of 2 waiting shown.\nAcknowledged 1.\n',
    );
    const rows = await recipientRows(server.app);
    expect(rows.filter((r) => r.acknowledged_at !== null).map((r) => r.message_id)).toEqual([dm.id]);

    expect((await cli('inbox', '--ack')).stdout).toMatch(/^ops#\d+ room_mention from agent .*\nAcknowledged 1\.\n$/s);
    const empty = await cli('inbox');
    expect(empty).toMatchObject({ code: 0, stdout: 'Nothing is waiting.\n' });
  });

  it('sends a direct message and a thread reply, printing each stored message as JSON', async () => {
    const sent = await cli('dm', peer.agent.id, 'backups', 'are', 'green');
    expect(sent.code, sent.stderr).toBe(0);
    const message = JSON.parse(sent.stdout) as Message;
    expect(message).toMatchObject({ body: 'backups are green', sender_id: agentId });
    const peerInbox = await inbox(server.app, peer);
    expect(peerInbox.items.map((item) => item.message.id)).toContain(message.id);

    const reply = await cli('dm', peer.agent.id, '--reply-to', String(message.seq), 'and the restores');
    expect(JSON.parse(reply.stdout)).toMatchObject({ room_id: message.room_id, reply_to_seq: message.seq });
    const inRoom = await cli('send', '--room', 'ops', '--reply-to', '1', 'noted');
    expect(JSON.parse(inRoom.stdout)).toMatchObject({ room_id: roomId, reply_to_seq: 1 });
  });

  it('refuses a direct message to an unknown agent, or one of another tenant, with exit 1 and stores nothing', async () => {
    const directRooms = async () =>
      (
        await queryRows<{ n: number }>(
          server.database.db,
          sql`select count(*)::int as n from rooms where kind = 'direct'`,
        )
      )[0]?.n;
    const before = await directRooms();
    const stranger = await createRoomAgent(server.app, admin, { owner: other });
    const [unknown, foreign, malformed, badSeq] = await Promise.all([
      cli('dm', randomUUID(), 'hello?'),
      cli('dm', stranger.agent.id, 'hello?'),
      cli('dm', 'not-an-agent', 'hello?'),
      cli('dm', peer.agent.id, '--reply-to', '0', 'hello?'),
    ]);
    for (const result of [unknown, foreign]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^The server refused: HTTP 404 not_found: /m);
    }
    expect(malformed).toMatchObject({ code: 1, stdout: '' });
    expect(malformed.stderr).toMatch(/^The server refused: HTTP 400 /m);
    expect(badSeq).toMatchObject({ code: 1, stderr: '--reply-to: expected a positive whole number.\n' });
    expect(await directRooms()).toBe(before);
  });

  it('claims and releases a resource, and exits 4 naming the holder when someone holds it', async () => {
    const claimed = await cli('claim', 'ops', 'task:7', '--ttl', '60', '--note', 'rotating keys', '--json');
    expect(claimed.code, claimed.stderr).toBe(0);
    const { claim } = JSON.parse(claimed.stdout) as { claimed: true; claim: Claim };
    expect(claim).toMatchObject({
      resource: 'task:7',
      mode: 'exclusive',
      note: 'rotating keys',
      holder: { id: agentId },
    });
    const released = await cli('release', 'ops', claim.id);
    expect(released).toMatchObject({ code: 0, stdout: `Released claim ${claim.id}.\n` });
    expect(await liveClaims(server.app, peer, roomId)).toEqual([]);

    const held = await claimOverRest(server.app, peer, roomId, { resource: 'file:src/**', ttl_seconds: 300 });
    expect(held.statusCode).toBe(201);
    const [text, json] = await Promise.all([
      cli('claim', 'ops', 'file:src/app.ts'),
      cli('claim', roomId, 'file:src/app.ts', '--shared', '--json'),
    ]);
    expect(text.code).toBe(4);
    expect(text.stderr).toMatch(
      /^Not claimed: file:src\/app\.ts overlaps file:src\/\*\*, held exclusively by agent peer/,
    );
    expect(json.code).toBe(4);
    const refused = JSON.parse(json.stdout) as { claimed: false; conflicts: ClaimConflict[] };
    expect(refused).toMatchObject({
      claimed: false,
      conflicts: [{ resource: 'file:src/**', holder: { id: peer.agent.id } }],
    });
    expect(refused.conflicts[0]?.expires_at).toBe(held.json<{ claim: Claim }>().claim.expires_at);

    const shared = await cli('claim', 'ops', 'file:docs/a.md', '--shared');
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stdout).toMatch(/^Claimed file:docs\/a\.md \(shared\) in ops until \S+\.\nClaim id: [0-9a-f-]{36} /);
  });

  it("refuses a bad claim and another tenant's room with exit 1, storing nothing", async () => {
    const foreignRoom = await createRoom(server.app, other);
    const before = (await storedClaims(server.app, roomId)).length;
    const [zero, tooLong, badResource, foreign] = await Promise.all([
      cli('claim', 'ops', 'task:1', '--ttl', '0'),
      cli('claim', 'ops', 'task:1', '--ttl', '86401'),
      cli('claim', 'ops', 'no-kind'),
      cli('claim', foreignRoom.slug, 'task:1'),
    ]);
    for (const result of [zero, tooLong])
      expect(result).toMatchObject({
        code: 1,
        stdout: '',
        stderr: '--ttl: expected a whole number of seconds between 1 and 86400.\n',
      });
    expect(badResource.code).toBe(1);
    expect(badResource.stderr).toMatch(/^The server refused: HTTP 400 invalid_request: .*kind:name/m);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/^The server refused: HTTP 404 not_found: /m);
    expect((await storedClaims(server.app, roomId)).length).toBe(before);
    expect(await storedClaims(server.app, foreignRoom.id)).toEqual([]);
  });

  it('sets the wake hook printing its secret once, shows it without the secret, and deletes it', async () => {
    const bad = await cli('wake-hook', 'set', 'ftp://runner.example.com/wake');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^The server refused: HTTP 400 /m);
    expect((await cli('wake-hook', 'show')).stdout).toBe('No wake hook is set.\n');

    const set = await cli('wake-hook', 'set', 'https://203.0.113.9/wake/abcd1234', '--coalesce', '10');
    expect(set.code, set.stderr).toBe(0);
    const secret = /Signing secret \(shown this once; .*\): (whsec_\S+)/.exec(set.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(set.stdout).toMatch(/^Wake hook set: https:\/\/203\.0\.113\.9\/…1234 \(at most one call per 10 s; /);

    const [shown, shownJson] = await Promise.all([cli('wake-hook', 'show'), cli('wake-hook', 'show', '--json')]);
    expect(shown.stdout).toMatch(
      /^Wake hook: https:\/\/203\.0\.113\.9\/…1234 .*@room mentions wake it: no\), updated /,
    );
    const { wake_hook: hook } = JSON.parse(shownJson.stdout) as { wake_hook: WakeHook };
    expect(hook).toMatchObject({ agent_id: agentId, coalesce_seconds: 10 });
    for (const output of [shown.stdout, shownJson.stdout]) expect(output).not.toContain(secret);

    const again = await cli('wake-hook', 'set', 'https://203.0.113.9/wake/efgh5678', '--room-mentions');
    expect(again.stdout).toContain('Signing secret: unchanged');
    const rotated = await cli('wake-hook', 'set', 'https://203.0.113.9/wake/efgh5678', '--rotate-secret', '--json');
    const answer = JSON.parse(rotated.stdout) as { wake_hook: WakeHook; secret: string };
    expect(answer.secret).toMatch(/^whsec_/);
    expect(answer.secret).not.toBe(secret);

    expect(await cli('wake-hook', 'delete')).toMatchObject({ code: 0, stdout: 'Wake hook removed.\n' });
    expect((await cli('wake-hook', 'show', '--json')).stdout).toBe('{"wake_hook":null}\n');
  });
});
