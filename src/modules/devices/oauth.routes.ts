import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteModule } from '../../http/route-module.js';
import type { TokenPair } from '../../identity/refresh-tokens.service.js';
import { serverId } from '../agents/agents.schemas.js';
import {
  clientId,
  deviceAuthorizationResponse,
  deviceInfo,
  deviceName,
  oauthError,
  oauthForm,
  scope,
  tokenResponse,
} from './devices.schemas.js';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token';

/** RFC 6749 §5.2: HTTP 400, JSON, never cached; no WWW-Authenticate (public clients). */
function oauthFailure(
  request: FastifyRequest,
  reply: FastifyReply,
  error: OAuthErrorCode,
  description: string,
  extra: { interval?: number } = {},
) {
  return reply
    .code(400)
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
    .send({ error, error_description: description, message: description, request_id: request.id, ...extra });
}

export function tokenBody(pair: TokenPair) {
  return {
    access_token: pair.access.token,
    token_type: 'Bearer' as const,
    expires_in: pair.access.expiresIn,
    refresh_token: pair.refreshToken,
    scope: pair.scope,
  };
}

const oauthRoute = { auth: ['anon' as const], csrf: false };

/**
 * Malformed requests (schema validation, unparsable or oversized bodies, other
 * content types) leave in the RFC 6749 shape too. Without this the app's
 * envelope failed the routes' 400 response schema and became a 500.
 * Rate limits and server errors go to the app's error handler.
 */
function oauthErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500;
  if (!error.validation && (status < 400 || status >= 500 || status === 429)) throw error;
  void oauthFailure(
    request,
    reply,
    'invalid_request',
    'Send a form (application/x-www-form-urlencoded) with single-valued fields within their size limits.',
  );
}

/** The RFC 8628 / RFC 6749 front door: form-encoded requests, JSON responses. */
export const oauthRoutes: RouteModule = (app, ctx) => {
  const { devices, refreshTokens } = ctx.services;

  app.post(
    '/oauth/device_authorization',
    {
      config: oauthRoute,
      errorHandler: oauthErrorHandler,
      schema: {
        tags: ['device linking'],
        summary: 'RFC 8628 device authorization request',
        body: oauthForm,
        response: { 200: deviceAuthorizationResponse, 400: oauthError },
      },
    },
    async (request, reply) => {
      const form = request.body;
      const client = clientId.safeParse(form.client_id);
      if (!client.success)
        return oauthFailure(request, reply, 'invalid_client', 'client_id is required (letters, digits and _ . : -).');
      const parsed = z
        .object({
          scope: scope.optional(),
          device_name: deviceName.optional(),
          server_id: serverId.optional(),
          device_info: z.string().optional(),
        })
        .safeParse(form);
      if (!parsed.success)
        return oauthFailure(
          request,
          reply,
          'invalid_request',
          parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        );
      let info: Record<string, unknown> | undefined;
      if (parsed.data.device_info) {
        const decoded = deviceInfo.safeParse(safeJson(parsed.data.device_info));
        if (!decoded.success)
          return oauthFailure(
            request,
            reply,
            'invalid_request',
            'device_info must be a small JSON object of scalar values.',
          );
        info = decoded.data;
      }
      const result = await devices.request({
        clientId: client.data,
        scope: parsed.data.scope,
        deviceName: parsed.data.device_name,
        serverId: parsed.data.server_id ?? (typeof info?.['server_id'] === 'string' ? info['server_id'] : undefined),
        deviceInfo: info,
        ip: request.ip,
      });
      return reply.header('cache-control', 'no-store').send({
        device_code: result.deviceCode,
        user_code: result.userCode,
        verification_uri: result.verificationUri,
        verification_uri_complete: result.verificationUriComplete,
        expires_in: result.expiresIn,
        interval: result.interval,
      });
    },
  );

  app.post(
    '/oauth/token',
    {
      config: oauthRoute,
      errorHandler: oauthErrorHandler,
      schema: {
        tags: ['device linking'],
        summary: 'Token endpoint: device_code and refresh_token grants',
        body: oauthForm,
        response: { 200: tokenResponse, 400: oauthError },
      },
    },
    async (request, reply) => {
      const form = request.body;
      if (form.grant_type === DEVICE_CODE_GRANT) {
        if (!form.device_code) return oauthFailure(request, reply, 'invalid_request', 'device_code is required.');
        // RFC 8628 §3.4: a public client names itself, and only the client the code was issued to may redeem it.
        if (!form.client_id) return oauthFailure(request, reply, 'invalid_client', 'client_id is required.');
        const result = await devices.poll(form.device_code, {
          withApiToken: false,
          clientId: form.client_id,
          ip: request.ip,
        });
        switch (result.status) {
          case 'approved':
            return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(tokenBody(result.tokens));
          case 'pending':
            return oauthFailure(
              request,
              reply,
              'authorization_pending',
              'The person has not approved the device yet.',
              { interval: result.interval },
            );
          case 'slow_down':
            return oauthFailure(
              request,
              reply,
              'slow_down',
              `Polling too fast; wait ${result.interval} seconds between requests.`,
              { interval: result.interval },
            );
          case 'denied':
            return oauthFailure(request, reply, 'access_denied', 'The person denied the request.');
          case 'expired':
            return oauthFailure(request, reply, 'expired_token', 'The device code has expired; start again.');
          default:
            return oauthFailure(request, reply, 'invalid_grant', 'The device code is invalid or was already used.');
        }
      }
      if (form.grant_type === 'refresh_token') {
        if (!form.refresh_token) return oauthFailure(request, reply, 'invalid_request', 'refresh_token is required.');
        const fingerprint = fingerprintOf(request);
        const result = await refreshTokens.rotate(form.refresh_token, fingerprint, request.ip);
        if (!result.ok) return oauthFailure(request, reply, result.reason, result.description);
        return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(tokenBody(result.pair));
      }
      if (!form.grant_type) return oauthFailure(request, reply, 'invalid_request', 'grant_type is required.');
      return oauthFailure(request, reply, 'unsupported_grant_type', 'Supported grants: device_code and refresh_token.');
    },
  );

  app.post(
    '/oauth/revoke',
    {
      config: oauthRoute,
      errorHandler: oauthErrorHandler,
      schema: {
        tags: ['device linking'],
        summary: 'RFC 7009 token revocation (refresh tokens; unlinks the device)',
        body: oauthForm,
        response: { 200: z.object({}), 400: oauthError },
      },
    },
    async (request, reply) => {
      if (!request.body.token) return oauthFailure(request, reply, 'invalid_request', 'token is required.');
      await refreshTokens.revoke(request.body.token, request.ip);
      // RFC 7009 §2.2: unknown or already revoked tokens are answered the same way.
      return reply.header('cache-control', 'no-store').send({});
    },
  );
};

function fingerprintOf(request: FastifyRequest): string | undefined {
  const value = request.headers['x-device-fingerprint'];
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
