import type { ClaimConflict } from './types.js';

/** An error answer from AgentHub, with its machine code (see API.md). */
export class AgentHubError extends Error {
  override name = 'AgentHubError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** 429 and 503 (and network failures) mean "back off and retry"; other 4xx mean "drop". */
  get retryable(): boolean {
    return this.status === 429 || this.status === 503 || this.status === 0;
  }
}

/** The person denied the device link. */
export class DeviceFlowDeniedError extends AgentHubError {
  override name = 'DeviceFlowDeniedError';
}

/** The link request expired before it was approved. */
export class DeviceFlowExpiredError extends AgentHubError {
  override name = 'DeviceFlowExpiredError';
}

/** A claim refused because live claims overlap it (409 `claim_conflict`): `conflicts` says who holds what, until when. */
export class ClaimConflictError extends AgentHubError {
  override name = 'ClaimConflictError';
  readonly conflicts: ClaimConflict[];
  constructor(message: string, body: Record<string, unknown>) {
    super(409, 'claim_conflict', message, body);
    this.conflicts = Array.isArray(body['conflicts']) ? (body['conflicts'] as ClaimConflict[]) : [];
  }
}

/** The error a refused claim answers with, typed when it is a conflict (REST 409 or a socket ack alike). */
export function claimError(error: unknown): unknown {
  return error instanceof AgentHubError && error.code === 'claim_conflict'
    ? new ClaimConflictError(error.message, error.body)
    : error;
}
