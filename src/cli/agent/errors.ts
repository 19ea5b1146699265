import { AgentHubError } from '../../client/index.js';

/** Exit codes of `agenthub agent ...`, documented in docs/AGENT.md (systemd's RestartPreventExitStatus uses them). */
export const EXIT = {
  failure: 1,
  /** The server no longer accepts the agent's credentials: deactivated, revoked or unlinked. */
  credentialsRejected: 3,
  /** `claim`: the resource is held (by another, or by this agent itself: renew instead). */
  claimHeld: 4,
  /** EX_CONFIG: not linked, unreadable config, token files with loose permissions. */
  config: 78,
} as const;

/** A failure the CLI explains in one message and turns into an exit code (main prints it). */
export class AgentCliError extends Error {
  override name = 'AgentCliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/**
 * The refresh grant was refused (invalid_grant), or a request still answered
 * 401 after the client renewed its token: the agent's credentials are dead.
 */
export function isCredentialsRejected(error: unknown): error is AgentHubError {
  return error instanceof AgentHubError && (error.code === 'invalid_grant' || error.status === 401);
}

export function credentialsRejected(error: AgentHubError): AgentCliError {
  return new AgentCliError(
    `The server no longer accepts this agent's credentials (${error.code}: ${error.message}). ` +
      'It was deactivated, revoked or unlinked; link it again with `agenthub agent link`.',
    EXIT.credentialsRejected,
  );
}

/** Network failures and 429/503 after the client's own retries. */
export function isTransient(error: unknown): error is AgentHubError {
  return error instanceof AgentHubError && error.retryable;
}

/** A one-line description of an API failure for logs. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof AgentHubError)) return error instanceof Error ? error.message : String(error);
  if (error.status === 0) return error.message;
  return `HTTP ${error.status} ${error.code}: ${error.message}${invalidFields(error.body['details'])}`;
}

/** A 400's `details` say which field is wrong and why; "The request is invalid." alone does not. */
function invalidFields(details: unknown): string {
  if (!Array.isArray(details) || details.length === 0) return '';
  const fields = (details as { path?: unknown; message?: unknown }[])
    .slice(0, 3)
    .map(
      (d) => `${typeof d.path === 'string' ? d.path : '?'}: ${typeof d.message === 'string' ? d.message : 'invalid'}`,
    );
  return ` (${fields.join('; ')})`;
}

/** Converts what commands cannot recover from into a clear message and exit code. */
export function toCliError(error: unknown): unknown {
  if (error instanceof AgentCliError) return error;
  if (isCredentialsRejected(error)) return credentialsRejected(error);
  if (error instanceof AgentHubError && error.status === 0)
    return new AgentCliError(`The server is unreachable: ${error.message}`);
  if (error instanceof AgentHubError) return new AgentCliError(`The server refused: ${describeFailure(error)}`);
  return error;
}
