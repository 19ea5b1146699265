export { AgentHubClient, type AgentHubClientOptions } from './client.js';
export { AgentHubError, DeviceFlowDeniedError, DeviceFlowExpiredError } from './errors.js';
export type { DeviceAuthorization, StartOptions } from './device-flow.js';
export { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './http.js';
export { RealtimeClient, type RealtimeOptions } from './realtime.js';
export type { TokenSet } from './token-set.js';
export { TokenManager, type CredentialSource } from './tokens.js';
export type { Message, MetricsSnapshot, MetricsValue, PresenceAgent, Room, Sample } from './types.js';
