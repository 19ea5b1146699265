import { gzipSync } from 'node:zlib';
import { CoordinationMethods, messageFields, roomPath, type SendOptions } from './coordination.js';
import { AgentHubError } from './errors.js';
import { pollDeviceFlow, startDeviceFlow, type DeviceAuthorization, type StartOptions } from './device-flow.js';
import {
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  request,
  withTimeout,
  type FetchLike,
  type RequestOptions,
  type RetryPolicy,
} from './http.js';
import { RealtimeClient, type RealtimeOptions } from './realtime.js';
import type { TokenSet } from './token-set.js';
import { TokenManager, type CredentialSource } from './tokens.js';
import type { Message, Room, Sample } from './types.js';

export interface AgentHubClientOptions {
  /** Base URL, e.g. http://hub.lan:3000 */
  server: string;
  credentials?: CredentialSource;
  /** Tokens already held (skips the first renewal). */
  tokens?: TokenSet;
  /** Persist rotated refresh tokens here. */
  onRotate?: (tokens: TokenSet) => void | Promise<void>;
  /** The tokens as another process sharing the credentials saved them (see TokenManagerOptions). */
  shared?: () => TokenSet | undefined;
  retry?: RetryPolicy;
  /** How long one HTTP attempt may take before it fails as `timeout` (retried); default 30 s, 0 for no limit. */
  timeoutMs?: number;
  fetch?: FetchLike;
}

/** Bodies larger than this are sent gzip-compressed. */
const GZIP_ABOVE_BYTES = 8 * 1024;

/**
 * The typed AgentHub SDK used by the CLI, the tests and the benchmarks:
 * device linking, token exchange and rotation, metrics with retries, rooms, and agent coordination
 * (direct messages, the inbox, search, claims, wake hooks: coordination.ts).
 */
export class AgentHubClient extends CoordinationMethods {
  readonly server: string;
  private readonly fetchImpl: FetchLike;
  private tokenManager: TokenManager | undefined;

  constructor(private readonly options: AgentHubClientOptions) {
    super();
    this.server = options.server.replace(/\/+$/, '');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = timeoutMs > 0 ? withTimeout(options.fetch ?? fetch, timeoutMs) : (options.fetch ?? fetch);
    if (options.credentials) this.useCredentials(options.credentials, options.tokens);
  }

  /** Switches to new credentials (after linking, or with an API token). */
  useCredentials(source: CredentialSource, tokens?: TokenSet): void {
    this.tokenManager = new TokenManager({
      baseUrl: this.server,
      fetch: this.fetchImpl,
      source,
      ...(tokens ? { initial: tokens } : {}),
      ...(this.options.onRotate ? { onRotate: this.options.onRotate } : {}),
      ...(this.options.shared ? { shared: this.options.shared } : {}),
    });
  }

  get tokens(): TokenSet | undefined {
    return this.tokenManager?.tokens;
  }

  startDeviceFlow(options: StartOptions = {}): Promise<DeviceAuthorization> {
    return startDeviceFlow(this.server, this.fetchImpl, options);
  }

  pollDeviceFlow(
    authorization: DeviceAuthorization,
    options: Parameters<typeof pollDeviceFlow>[3] = {},
  ): Promise<TokenSet> {
    return pollDeviceFlow(this.server, this.fetchImpl, authorization, options);
  }

  /** The whole device flow: show the code (onCode), wait for approval, keep the tokens. */
  async link(
    options: StartOptions & {
      fingerprint?: string;
      onCode?: (a: DeviceAuthorization) => void;
      onPoll?: (s: { interval: number; secondsLeft: number }) => void;
      signal?: AbortSignal;
    },
  ): Promise<TokenSet> {
    const authorization = await this.startDeviceFlow(options);
    options.onCode?.(authorization);
    const tokens = await this.pollDeviceFlow(authorization, {
      ...(options.clientId ? { clientId: options.clientId } : {}),
      ...(options.onPoll ? { onPoll: options.onPoll } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (tokens.refreshToken)
      this.useCredentials(
        { kind: 'refresh', refreshToken: tokens.refreshToken, fingerprint: options.fingerprint },
        tokens,
      );
    return tokens;
  }

  /** A valid access JWT (renewed ahead of expiry). */
  accessToken(): Promise<string> {
    if (!this.tokenManager)
      throw new AgentHubError(0, 'no_credentials', 'Link the agent or give it an API token first.');
    return this.tokenManager.accessToken();
  }

  /** An authenticated request; a 401 triggers one renewal and one retry. */
  override async call<T>(options: Omit<RequestOptions, 'headers'> & { headers?: Record<string, string> }): Promise<T> {
    const attempt = async () =>
      request<T>(this.server, this.fetchImpl, {
        ...options,
        headers: { ...options.headers, authorization: `Bearer ${await this.accessToken()}` },
      });
    try {
      return (await attempt()).body;
    } catch (error) {
      if (!(error instanceof AgentHubError) || error.status !== 401 || !this.tokenManager) throw error;
      await this.tokenManager.renew();
      return (await attempt()).body;
    }
  }

  me() {
    return this.call<{
      agent: {
        id: string;
        name: string;
        server_id: string | null;
        role: string;
        owner_id: string;
        team_id: string | null;
      };
    }>({ path: '/api/v1/me' });
  }

  /**
   * Sends one snapshot or a batch. 429/503/network errors are retried with
   * exponential backoff and jitter, honouring Retry-After; other 4xx are final.
   */
  async sendMetrics(
    serverId: string,
    samples: Sample | Sample[],
    options: { retry?: RetryPolicy; signal?: AbortSignal } = {},
  ): Promise<{ accepted: number }> {
    const body = Array.isArray(samples)
      ? { server_id: serverId, samples }
      : { server_id: serverId, timestamp: samples.timestamp, metrics: samples.metrics };
    const json = JSON.stringify(body);
    const compressed = json.length > GZIP_ABOVE_BYTES;
    return this.call<{ accepted: number }>({
      path: '/api/v1/metrics',
      method: 'POST',
      ...(compressed
        ? { raw: gzipSync(json), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }
        : { json: body }),
      retry: options.retry ?? this.options.retry ?? DEFAULT_RETRY,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  listRooms() {
    return this.call<{ rooms: Room[] }>({ path: '/api/v1/rooms' });
  }

  /** Oldest first after `afterSeq`. */
  messagesAfter(roomId: string, afterSeq: number, limit = 200) {
    return this.call<{ messages: Message[] }>({
      path: `${roomPath(roomId)}/messages?after_seq=${afterSeq}&limit=${limit}`,
    });
  }

  /** A room by uuid or slug, with its members. */
  getRoom(roomId: string) {
    return this.call<{ room: Room; members: unknown[] }>({ path: roomPath(roomId) });
  }

  /**
   * Posts a message. Retries are safe because every send carries a
   * client_msg_id (generated when not given): the server returns the original. `options` is the
   * client_msg_id itself, or `{clientMsgId?, replyToSeq?}` for a reply in a thread.
   */
  postMessage(roomId: string, body: string, options: SendOptions | string = {}) {
    return this.call<{ message: Message }>({
      path: `${roomPath(roomId)}/messages`,
      method: 'POST',
      json: messageFields(body, options),
      retry: DEFAULT_RETRY,
    });
  }

  /** RFC 7009: revokes the refresh token (and its family) on the server. */
  async revoke(refreshToken: string): Promise<void> {
    await request(this.server, this.fetchImpl, { path: '/oauth/revoke', form: { token: refreshToken } });
  }

  /** A socket.io connection to /agents that refreshes its token and replays what it missed. */
  realtime(options: RealtimeOptions = {}): RealtimeClient {
    return new RealtimeClient(this, options);
  }
}
