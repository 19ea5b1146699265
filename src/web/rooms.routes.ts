import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import type { UserActor } from '../identity/actor.model.js';
import { AppError } from '../lib/errors.js';
import { presentClaim } from '../modules/claims/claims.schemas.js';
import { asPage, signInFirst } from './page-errors.js';
import { roomPage, roomsPage } from './pages/rooms.page.js';

const PAGE_SIZE = 50;
/** The replies an open thread shows on the page (the API's largest page). */
const THREAD_SIZE = 200;
const params = z.object({ id: z.string().min(1).max(64) });
const seq = z.coerce.number().int().min(1);
const pageQuery = z.object({ before: seq.optional(), thread: seq.optional() });
const postForm = z.object({
  _csrf: z.string().max(200).optional(),
  body: z.string().trim().min(1).max(10_000),
  reply_to_seq: seq.optional(),
});

interface View {
  before?: number | undefined;
  /** The seq of the thread to show open with its replies (after a reply, or from a link). */
  thread?: number | undefined;
  error?: string | undefined;
}

/**
 * /rooms and /rooms/:id: rooms the person may read, their members and
 * messages. Live messages come over GET /rooms/:id/stream (docs/adr/0010);
 * older ones page through `?before=` without JavaScript.
 */
export const roomPageRoutes: RouteModule = (app, ctx) => {
  const { rooms, claims } = ctx.services;

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    actor: UserActor,
    id: string,
    view: View,
    status = 200,
  ) {
    const { room, members } = await rooms.get(id, actor);
    const { before, thread } = view;
    const page = await rooms.history(room.id, actor, { cursor: before, limit: PAGE_SIZE });
    // Only a thread shown on this page opens, so a stale or foreign seq simply opens nothing.
    const parent = page.messages.find((m) => m.seq === thread && m.replyToSeq === null && m.replyCount > 0);
    const replies = parent
      ? (await rooms.history(room.id, actor, { thread: parent.seq, limit: THREAD_SIZE })).messages.filter(
          (m) => m.replyToSeq !== null,
        )
      : [];
    const live = await claims.liveIn(room.id);
    return sendHtml(
      reply,
      roomPage({
        user: actor.user,
        csrf: csrfToken(request, reply, ctx.config),
        room,
        members,
        messages: page.messages.toReversed(),
        olderCursor: page.nextCursor,
        latest: before === undefined,
        canPost: await rooms.canPost(actor, room),
        claims: live.map(presentClaim),
        openThread: parent ? { seq: parent.seq, replies } : undefined,
        error: view.error,
      }),
      status,
    );
  }

  app.get('/rooms', { config: { auth: ['anon'] }, schema: { hide: true } }, async (request, reply) => {
    return (
      signInFirst(request, reply) ??
      asPage(ctx.config, request, reply, async (actor) => {
        const { rooms: list } = await rooms.list(actor);
        return sendHtml(
          reply,
          roomsPage({ user: actor.user, csrf: csrfToken(request, reply, ctx.config), rooms: list }),
        );
      })
    );
  });

  app.get(
    '/rooms/:id',
    { config: { auth: ['anon'] }, schema: { hide: true, params, querystring: pageQuery } },
    async (request, reply) =>
      signInFirst(request, reply) ??
      asPage(ctx.config, request, reply, (actor) => render(request, reply, actor, request.params.id, request.query)),
  );

  app.post(
    '/rooms/:id/messages',
    { config: { auth: ['user'] }, schema: { hide: true, params, body: postForm } },
    (request, reply) =>
      asPage(ctx.config, request, reply, async (actor) => {
        const room = await rooms.loadToPost(request.params.id, actor);
        const replyTo = request.body.reply_to_seq;
        const sent = await rooms
          .send(actor, { roomId: room.id, body: request.body.body, replyToSeq: replyTo })
          .catch((error: unknown) => {
            // A refused message (unknown reply_to_seq, mention of a non-member, too large) is explained on the room.
            if (error instanceof AppError && (error.statusCode === 400 || error.statusCode === 413)) return error;
            throw error;
          });
        if (sent instanceof AppError)
          return render(request, reply, actor, room.id, { thread: replyTo, error: sent.message }, sent.statusCode);
        // A reply lands back in its thread, open (the parent's seq: a reply to a reply files under the parent).
        const thread = sent.message.replyToSeq;
        return reply.redirect(`/rooms/${room.id}${thread === null ? '' : `?thread=${thread}#seq-${thread}`}`, 303);
      }),
  );
};
