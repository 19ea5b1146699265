export { AgentHubClient, type AgentHubClientOptions } from './client.js';
export type { ClaimInput, InboxQuery, SearchQuery, SendOptions, WakeHookInput } from './coordination.js';
export { AgentHubError, ClaimConflictError, DeviceFlowDeniedError, DeviceFlowExpiredError } from './errors.js';
export type { DeviceAuthorization, StartOptions } from './device-flow.js';
export { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './http.js';
export { RealtimeClient, type RealtimeOptions } from './realtime.js';
export type { TokenSet } from './token-set.js';
export { TokenManager, type CredentialSource } from './tokens.js';
export type {
  Claim,
  ClaimConflict,
  ClaimEvent,
  ClaimHolder,
  ClaimMode,
  InboxAck,
  InboxItem,
  InboxPage,
  Message,
  MetricsSnapshot,
  MetricsValue,
  PresenceAgent,
  Room,
  Sample,
  SearchHit,
  SearchPage,
  WakeHook,
} from './types.js';
