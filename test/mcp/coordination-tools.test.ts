import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createTeam, inbox } from '../harness/coordination.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { closeAllMcp, connectMcp, type McpSession } from '../harness/mcp.js';
import {
  addMember,
  createRoom,
  createRoomAgent,
  postMessage,
  type RoomAgent,
  type WireRoom,
} from '../harness/rooms.js';
import type { WireMessage } from '../harness/sockets.js';

interface InboxResult {
  items: { message: WireMessage; reason: string; room: { id: string; kind: string } }[];
  next_cursor: string | null;
  pending: number;
}

describe('the MCP coordination tools', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let room: WireRoom;
  let alpha: RoomAgent;
  let beta: RoomAgent;
  let foreign: RoomAgent;
  let asAlpha: McpSession;
  let asBeta: McpSession;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Owner' });
    const mate = await createUser(t, admin, { name: 'Mate' });
    const stranger = await createUser(t, admin, { name: 'Stranger' });
    const teamId = await createTeam(t, owner, [{ person: mate, role: 'member' }]);
    room = await createRoom(t, owner, { slug: 'work', team_id: teamId });
    alpha = await createRoomAgent(t, admin, { owner, teamId, rooms: [room.id], name: 'alpha' });
    beta = await createRoomAgent(t, admin, { owner: mate, teamId, name: 'beta' });
    expect((await addMember(t, owner, room.id, beta.agent.id)).statusCode).toBe(201);
    foreign = await createRoomAgent(t, admin, { owner: stranger, name: 'foreign' });
    asAlpha = await connectMcp(t.url, alpha.jwt);
    asBeta = await connectMcp(t.url, beta.jwt);
  });
  afterAll(async () => {
    await closeAllMcp();
    await t.close();
  });

  it('sends a direct message by agent name, which the other reads in its inbox and acknowledges', async () => {
    const sent = await asAlpha.ok<{ room: { id: string; kind: string }; message: WireMessage; duplicate: boolean }>(
      'send_direct_message',
      { agent: 'beta', body: 'can you take the tests?', client_msg_id: 'dm-1' },
    );
    expect(sent).toMatchObject({ room: { kind: 'direct' }, message: { seq: 1 }, duplicate: false });
    const retry = await asAlpha.ok<{ duplicate: boolean }>('send_direct_message', {
      agent: beta.agent.id,
      body: 'can you take the tests?',
      client_msg_id: 'dm-1',
    });
    expect(retry.duplicate).toBe(true);
    const read = await asBeta.ok<InboxResult>('read_inbox');
    expect(read.items.map((i) => [i.message.body, i.reason, i.room.id])).toEqual([
      ['can you take the tests?', 'direct', sent.room.id],
    ]);
    expect(read.pending).toBe(1);
    // beta answers in the same conversation with send_message on the direct room.
    await asBeta.ok('send_message', { room: sent.room.id, body: 'yes', reply_to_seq: sent.message.seq });
    expect((await asAlpha.ok<InboxResult>('read_inbox')).items.map((i) => i.message.body)).toEqual(['yes']);
    expect(await asBeta.ok('ack_inbox', { message_ids: [sent.message.id] })).toEqual({
      acknowledged: [sent.message.id],
      unknown: [],
    });
    expect((await asBeta.ok<InboxResult>('read_inbox')).items).toEqual([]);
    expect(await asAlpha.fails('send_direct_message', { agent: 'foreign', body: 'hi' })).toContain('not_found');
    expect(await asAlpha.fails('send_direct_message', { agent: foreign.agent.id, body: 'hi' })).toContain('not_found');
    expect(await asAlpha.fails('ack_inbox', { message_ids: ['nope'] })).toBeTruthy();
  });

  it('mentions and threads through send_message and read_messages', async () => {
    const parent = await asAlpha.ok<{ message: WireMessage }>('send_message', { room: 'work', body: '@beta plan?' });
    expect(parent.message.mentions).toEqual([{ agent_id: beta.agent.id, name: 'beta' }]);
    expect(await asAlpha.fails('send_message', { room: 'work', body: '@foreign hi' })).toContain('unknown_mention');
    expect(await asAlpha.fails('send_message', { room: 'work', body: 'x', reply_to_seq: 9999 })).toContain(
      'unknown_reply_to',
    );
    await asBeta.ok('send_message', { room: 'work', body: 'first', reply_to_seq: parent.message.seq });
    await asBeta.ok('send_message', { room: 'work', body: 'not in the thread' });
    const thread = await asAlpha.ok<{ messages: WireMessage[]; order: string; has_more: boolean }>('read_messages', {
      room: 'work',
      thread: parent.message.seq,
    });
    expect(thread.order).toBe('oldest_first');
    expect(thread.messages.map((m) => m.body)).toEqual(['@beta plan?', 'first']);
    expect(thread.messages[0]?.reply_count).toBe(1);
    expect(thread.has_more).toBe(false);
    const ids = (await inbox(t, beta)).items.map((i) => i.message.id);
    await asBeta.ok('ack_inbox', { message_ids: ids });
  });

  it('wait_for_messages with mentions_only sleeps through chatter and wakes for a message addressed to the caller', async () => {
    const start = (await asAlpha.ok<{ room: { last_seq: number } }>('read_messages', { room: 'work', limit: 1 })).room
      .last_seq;
    const waiting = asBeta.ok<{ messages: WireMessage[]; timed_out: boolean; last_seq: number }>('wait_for_messages', {
      room: 'work',
      since_seq: start,
      mentions_only: true,
      timeout_seconds: 20,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await postMessage(t, owner, room.id, 'chatter');
    await postMessage(t, alpha, room.id, 'more chatter');
    const addressed = (await postMessage(t, alpha, room.id, 'over to you @beta')).json<{ message: WireMessage }>();
    const woke = await waiting;
    expect(woke.timed_out).toBe(false);
    expect(woke.messages.map((m) => m.body)).toEqual(['over to you @beta']);
    expect(woke.last_seq).toBe(addressed.message.seq);
    // Without addressed messages it times out empty.
    const quiet = await asBeta.ok<{ messages: WireMessage[]; timed_out: boolean }>('wait_for_messages', {
      room: 'work',
      since_seq: addressed.message.seq,
      mentions_only: true,
      timeout_seconds: 1,
    });
    expect(quiet).toMatchObject({ messages: [], timed_out: true });
  });
});
