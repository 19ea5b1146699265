import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestApp } from './app.js';
import { bearer, formBody, openForm, type Person } from './identity.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The user-code alphabet of the brief, shown XXXX-XXXX. */
export const USER_CODE_FORMAT = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

export interface DeviceGrant {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope?: string;
}

/** A form-encoded POST, as an RFC 6749 client sends it. */
export function postForm(
  t: TestApp,
  url: string,
  fields: Record<string, string>,
  options: { headers?: Record<string, string>; remoteAddress?: string } = {},
): Promise<LightMyRequestResponse> {
  const body = formBody(fields);
  return t.app.inject({
    method: 'POST',
    url,
    payload: body.payload,
    headers: { ...body.headers, ...options.headers },
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

/** POST /oauth/device_authorization; throws unless 200. */
export async function requestDeviceCode(
  t: TestApp,
  fields: Record<string, string> = {},
  options: { remoteAddress?: string } = {},
): Promise<DeviceGrant> {
  const res = await postForm(t, '/oauth/device_authorization', { client_id: 'agenthub-cli', ...fields }, options);
  if (res.statusCode !== 200) throw new Error(`device authorization failed: ${res.statusCode} ${res.body}`);
  return res.json<DeviceGrant>();
}

/** POST /api/v1/agents/register (the WatchUp JSON front door); throws unless 200. */
export async function registerDevice(
  t: TestApp,
  body: { device_name: string; device_info: Record<string, unknown> },
  options: { remoteAddress?: string } = {},
): Promise<DeviceGrant & { verification_url: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/agents/register',
    payload: body,
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
  if (res.statusCode !== 200) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** POST /oauth/token with the device_code grant. */
export function pollToken(t: TestApp, deviceCode: string, clientId = 'agenthub-cli'): Promise<LightMyRequestResponse> {
  return postForm(t, '/oauth/token', { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: clientId });
}

/** GET /api/v1/agents/status (the JSON poll). */
export function pollStatus(t: TestApp, deviceCode: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ url: `/api/v1/agents/status?device_code=${encodeURIComponent(deviceCode)}` });
}

/** POST /oauth/token with the refresh_token grant, optionally with a device fingerprint. */
export function refresh(t: TestApp, refreshToken: string, fingerprint?: string): Promise<LightMyRequestResponse> {
  return postForm(
    t,
    '/oauth/token',
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    { headers: fingerprint ? { 'x-device-fingerprint': fingerprint } : {} },
  );
}

/** GET /api/v1/me with an agent's access JWT; the status says whether it still works. */
export async function agentMe(t: TestApp, accessToken: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ url: '/api/v1/me', headers: bearer(accessToken) });
}

/** The RFC 6749 §5.2 error shape every OAuth failure must have. */
export function expectOAuthError(res: LightMyRequestResponse, error: string): void {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['www-authenticate']).toBeUndefined();
  const body = res.json<{ error: string; error_description: unknown }>();
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe('string');
}

/** The value of a hidden or text input named `name` inside the form posting to `action`. */
export function formField(page: string, action: string, name: string): string | undefined {
  const form = new RegExp(`<form[^>]*action="${action}"[^>]*>([\\s\\S]*?)</form>`).exec(page)?.[1];
  return form ? new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(form)?.[1] : undefined;
}

export interface LinkSession {
  /** The response of POST /link: the confirmation page (or the entry page with an error). */
  confirm: LightMyRequestResponse;
  csrf: string;
  /** Session cookie plus CSRF seed, as the browser would send them. */
  cookie: string;
  post(url: string, fields: Record<string, string>): Promise<LightMyRequestResponse>;
}

/**
 * What a signed-in browser does: opens /link?user_code=… (prefilled), then
 * submits the form to reach the confirmation page.
 */
export async function openLink(
  t: TestApp,
  person: Person,
  userCode: string,
  options: { remoteAddress?: string } = {},
): Promise<LinkSession> {
  const entry = await openForm(t, `/link?user_code=${encodeURIComponent(userCode)}`, person.headers.cookie);
  expect(entry.page.statusCode).toBe(200);
  const prefilled = formField(entry.page.body, '/link', 'user_code') ?? '';
  const post = (url: string, fields: Record<string, string>) =>
    postForm(
      t,
      url,
      { _csrf: entry.csrf, ...fields },
      {
        headers: { origin: person.headers.origin, cookie: entry.cookie },
        ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
      },
    );
  const confirm = await post('/link', { user_code: prefilled });
  return { confirm, csrf: entry.csrf, cookie: entry.cookie, post };
}

/** Approves through the pages: /link → confirmation → the Approve form as rendered. Returns the result page. */
export async function approveViaPages(
  t: TestApp,
  person: Person,
  userCode: string,
  extra: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const link = await openLink(t, person, userCode);
  expect(link.confirm.statusCode, link.confirm.body).toBe(200);
  const code = formField(link.confirm.body, '/link/approve', 'user_code');
  expect(code).toBeDefined();
  return link.post('/link/approve', { user_code: code ?? '', ...extra });
}

/** Denies through the pages. Returns the result page. */
export async function denyViaPages(t: TestApp, person: Person, userCode: string): Promise<LightMyRequestResponse> {
  const link = await openLink(t, person, userCode);
  expect(link.confirm.statusCode, link.confirm.body).toBe(200);
  return link.post('/link/deny', { user_code: formField(link.confirm.body, '/link/deny', 'user_code') ?? '' });
}

/** POST /api/v1/agent-link/approve (JSON, cookie-authenticated). */
export function approveJson(
  t: TestApp,
  person: Person,
  body: { user_code: string; team_id?: string; replace?: boolean },
  options: { remoteAddress?: string } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/agent-link/approve',
    headers: person.headers,
    payload: body,
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

export interface LinkedDevice {
  agentId: string;
  deviceCode: string;
  accessToken: string;
  refreshToken: string;
  apiToken: string;
}

/** The whole JSON path in one call: register, approve over JSON, collect the tokens from /status. */
export async function linkDevice(
  t: TestApp,
  owner: Person,
  serverId: string,
  options: { deviceName?: string; teamId?: string; replace?: boolean } = {},
): Promise<LinkedDevice> {
  const grant = await registerDevice(t, {
    device_name: options.deviceName ?? serverId,
    device_info: { server_id: serverId, hostname: `${serverId}.example.net`, os: 'linux' },
  });
  const approved = await approveJson(t, owner, {
    user_code: grant.user_code,
    ...(options.teamId ? { team_id: options.teamId } : {}),
    ...(options.replace ? { replace: true } : {}),
  });
  if (approved.statusCode !== 200) throw new Error(`approve failed: ${approved.statusCode} ${approved.body}`);
  const status = await pollStatus(t, grant.device_code);
  if (status.statusCode !== 200) throw new Error(`status failed: ${status.statusCode} ${status.body}`);
  const body = status.json<{
    access_token: string;
    refresh_token: string;
    api_token: string;
    agent: { id: string };
  }>();
  return {
    agentId: body.agent.id,
    deviceCode: grant.device_code,
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    apiToken: body.api_token,
  };
}
