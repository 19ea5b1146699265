import { AgentHubError, DeviceFlowDeniedError, DeviceFlowExpiredError } from './errors.js';
import { request, sleep, type FetchLike } from './http.js';
import { toTokenSet, type TokenResponse, type TokenSet } from './token-set.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

export interface StartOptions {
  clientId?: string;
  deviceName?: string;
  serverId?: string;
  deviceInfo?: Record<string, string | number | boolean | null>;
  scope?: string;
}

/** RFC 8628 §3.1: ask for a device code and a user code. */
export async function startDeviceFlow(
  baseUrl: string,
  fetchImpl: FetchLike,
  options: StartOptions = {},
): Promise<DeviceAuthorization> {
  const { body } = await request<Record<string, string | number>>(baseUrl, fetchImpl, {
    path: '/oauth/device_authorization',
    form: {
      client_id: options.clientId ?? 'agenthub-agent',
      scope: options.scope,
      device_name: options.deviceName,
      server_id: options.serverId,
      device_info: options.deviceInfo ? JSON.stringify(options.deviceInfo) : undefined,
    },
  });
  return {
    deviceCode: String(body['device_code']),
    userCode: String(body['user_code']),
    verificationUri: String(body['verification_uri']),
    verificationUriComplete: String(body['verification_uri_complete']),
    expiresIn: Number(body['expires_in']),
    interval: Number(body['interval']),
  };
}

/**
 * RFC 8628 §3.4–3.5: poll until approved, honouring the interval and growing it
 * on slow_down. Denial and expiry throw typed errors.
 */
export async function pollDeviceFlow(
  baseUrl: string,
  fetchImpl: FetchLike,
  authorization: DeviceAuthorization,
  options: {
    clientId?: string;
    signal?: AbortSignal;
    onPoll?: (state: { interval: number; secondsLeft: number }) => void;
  } = {},
): Promise<TokenSet> {
  let interval = authorization.interval;
  const deadline = Date.now() + authorization.expiresIn * 1000;
  for (let first = true; ; first = false) {
    // Abortable, so a cancelled link (Ctrl-C) stops at once rather than after the interval.
    if (!first) await sleep(interval * 1000, options.signal);
    options.signal?.throwIfAborted();
    options.onPoll?.({ interval, secondsLeft: Math.max(0, Math.round((deadline - Date.now()) / 1000)) });
    try {
      const { body } = await request<TokenResponse>(baseUrl, fetchImpl, {
        path: '/oauth/token',
        form: {
          grant_type: DEVICE_CODE_GRANT,
          device_code: authorization.deviceCode,
          client_id: options.clientId ?? 'agenthub-agent',
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return toTokenSet(body);
    } catch (error) {
      if (!(error instanceof AgentHubError)) throw error;
      switch (error.code) {
        case 'authorization_pending':
          continue;
        case 'slow_down':
          interval = typeof error.body['interval'] === 'number' ? error.body['interval'] : interval + 5;
          continue;
        case 'access_denied':
          throw new DeviceFlowDeniedError(error.status, error.code, 'The link request was denied.', error.body);
        case 'expired_token':
          throw new DeviceFlowExpiredError(
            error.status,
            error.code,
            'The link request expired; start again.',
            error.body,
          );
        default:
          if (error.retryable && Date.now() < deadline) continue;
          throw error;
      }
    }
  }
}
