import { createErrorFactory } from '../../lib/errors.js';

export const wakeTargetRefused = createErrorFactory({
  code: 'invalid_request',
  statusCode: 400,
  message:
    'Wake hooks on loopback, link-local or private addresses are refused (set WAKE_HOOK_ALLOW_PRIVATE=true on a LAN).',
});
