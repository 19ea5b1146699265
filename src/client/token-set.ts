/** An agent's tokens as the SDK keeps them. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  scope?: string;
}

/** The token endpoint's answer (RFC 6749 §5.1), as /oauth/token and the JSON polling endpoint send it. */
export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
}

export function toTokenSet(body: TokenResponse): TokenSet {
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: Date.now() + body.expires_in * 1000,
    scope: body.scope,
  };
}
