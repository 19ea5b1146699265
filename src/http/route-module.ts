import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';

export type AppInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** A feature's routes: a function of the app and the one dependency object. */
export type RouteModule = (app: AppInstance, ctx: AppContext) => void | Promise<void>;

/** Who may call a route. Every route declares it; see docs/API.md for the matrix. */
export type AuthKind = 'anon' | 'user' | 'admin' | 'agent' | 'api-token';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthKind[];
    /** `false` skips CORS on a route only machines call (read by @fastify/cors, which does not type it). */
    cors?: false;
  }
}
