import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import type { UserActor } from '../identity/actor.model.js';
import { presentClaim } from '../modules/claims/claims.schemas.js';
import { asPage, signInFirst } from './page-errors.js';
import { roomPage, roomsPage } from './pages/rooms.page.js';

const PAGE_SIZE = 50;
const params = z.object({ id: z.string().min(1).max(64) });
const pageQuery = z.object({ before: z.coerce.number().int().min(1).optional() });
const postForm = z.object({ _csrf: z.string().max(200).optional(), body: z.string().trim().min(1).max(10_000) });

/**
 * /rooms and /rooms/:id: rooms the person may read, their members and
 * messages. Live messages come over GET /rooms/:id/stream (docs/adr/0010);
 * older ones page through `?before=` without JavaScript.
 */
export const roomPageRoutes: RouteModule = (app, ctx) => {
  const { rooms, claims } = ctx.services;

  async function render(request: FastifyRequest, reply: FastifyReply, actor: UserActor, id: string, before?: number) {
    const { room, members } = await rooms.get(id, actor);
    const page = await rooms.history(room.id, actor, { cursor: before, limit: PAGE_SIZE });
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
      }),
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
      asPage(ctx.config, request, reply, (actor) =>
        render(request, reply, actor, request.params.id, request.query.before),
      ),
  );

  app.post(
    '/rooms/:id/messages',
    { config: { auth: ['user'] }, schema: { hide: true, params, body: postForm } },
    (request, reply) =>
      asPage(ctx.config, request, reply, async (actor) => {
        const room = await rooms.loadToPost(request.params.id, actor);
        await rooms.send(actor, { roomId: room.id, body: request.body.body });
        return reply.redirect(`/rooms/${room.id}`, 303);
      }),
  );
};
