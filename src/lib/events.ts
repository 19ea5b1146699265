import { EventEmitter } from 'node:events';

/** In-process signals between features (the scale-out work fans them out over Redis). */
export interface AppEvents {
  /** An agent's credentials stopped working (deactivated, revoked, replaced): drop its sockets. */
  'agent.revoked': [{ agentId: string; reason: string }];
  /** One credential was revoked: forget cached checks of it. */
  'credential.revoked': [{ credentialId: string }];
}

export class AppEventBus extends EventEmitter<AppEvents> {}
