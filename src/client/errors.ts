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
