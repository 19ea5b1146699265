import { toTokenSet } from './device-flow.js';
import { request, DEFAULT_RETRY, type FetchLike } from './http.js';

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  scope?: string;
}

/** Where credentials come from: a rotating refresh token (device flow) or a long-lived API token. */
export type CredentialSource =
  { kind: 'refresh'; refreshToken: string; fingerprint?: string | undefined } | { kind: 'api-token'; apiToken: string };

export interface TokenManagerOptions {
  baseUrl: string;
  fetch: FetchLike;
  source: CredentialSource;
  /** Renew this long before expiry. */
  renewAheadMs?: number;
  /** Called with every new refresh token: persist it, the previous one is now spent. */
  onRotate?: (tokens: TokenSet) => void | Promise<void>;
  /**
   * Consulted before each refresh: the refresh token as another process sharing
   * these credentials may have rotated it (re-read from disk, say). Presenting
   * the one held here after the other process spent it would revoke the family.
   */
  latestRefreshToken?: () => string | undefined;
  initial?: TokenSet;
}

/**
 * Caches the access token and renews it ahead of expiry: one renewal at a time
 * however many callers ask, so a rotating refresh token is never spent twice.
 */
export class TokenManager {
  private current: TokenSet | undefined;
  private renewing: Promise<TokenSet> | undefined;
  private source: CredentialSource;

  constructor(private readonly options: TokenManagerOptions) {
    this.source = options.source;
    this.current = options.initial;
  }

  get tokens(): TokenSet | undefined {
    return this.current;
  }

  /** A valid access token, renewed when it is within `renewAheadMs` of expiry. */
  async accessToken(): Promise<string> {
    const ahead = this.options.renewAheadMs ?? 60_000;
    if (this.current && this.current.expiresAt - Date.now() > ahead) return this.current.accessToken;
    return (await this.renew()).accessToken;
  }

  /** Forces a renewal (e.g. after a 401). */
  renew(): Promise<TokenSet> {
    this.renewing ??= this.fetchTokens().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async fetchTokens(): Promise<TokenSet> {
    const { baseUrl, fetch } = this.options;
    if (this.source.kind === 'api-token') {
      const { body } = await request<{ token: string; expires_in: number }>(baseUrl, fetch, {
        path: '/api/v1/sessions',
        method: 'POST',
        headers: { authorization: `Bearer ${this.source.apiToken}` },
        retry: DEFAULT_RETRY,
      });
      this.current = { accessToken: body.token, expiresAt: Date.now() + body.expires_in * 1000 };
      return this.current;
    }
    const latest = this.options.latestRefreshToken?.();
    if (latest) this.source = { ...this.source, refreshToken: latest };
    const { body } = await request<{ access_token: string; expires_in: number; refresh_token: string; scope: string }>(
      baseUrl,
      fetch,
      {
        path: '/oauth/token',
        form: { grant_type: 'refresh_token', refresh_token: this.source.refreshToken },
        headers: this.source.fingerprint ? { 'x-device-fingerprint': this.source.fingerprint } : {},
        retry: DEFAULT_RETRY,
      },
    );
    const tokens = toTokenSet(body);
    this.source = { ...this.source, refreshToken: body.refresh_token };
    this.current = tokens;
    await this.options.onRotate?.(tokens);
    return tokens;
  }
}
