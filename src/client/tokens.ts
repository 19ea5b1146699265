import { toTokenSet, type TokenSet } from './token-set.js';
import { request, DEFAULT_RETRY, type FetchLike } from './http.js';

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
   * The tokens as another process sharing these credentials last saved them
   * (re-read from disk, say), consulted when a renewal is due: a fresh access
   * token there is used instead of renewing, and a refresh presents the latest
   * refresh token, since refreshing with one another process already spent
   * would revoke the whole family.
   */
  shared?: () => TokenSet | undefined;
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
    if (this.isFresh(this.current)) return this.current.accessToken;
    const shared = this.options.shared?.();
    if (this.isFresh(shared)) {
      this.current = shared;
      return shared.accessToken;
    }
    return (await this.renew()).accessToken;
  }

  private isFresh(tokens: TokenSet | undefined): tokens is TokenSet {
    return !!tokens?.accessToken && tokens.expiresAt - Date.now() > (this.options.renewAheadMs ?? 60_000);
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
    const latest = this.options.shared?.()?.refreshToken;
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
