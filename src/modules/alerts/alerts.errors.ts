import { badRequest, createErrorFactory } from '../../lib/errors.js';

export const ruleNotFound = createErrorFactory({
  code: 'not_found',
  statusCode: 404,
  message: 'Alert rule not found.',
});
export const channelNotFound = createErrorFactory({
  code: 'not_found',
  statusCode: 404,
  message: 'Notification channel not found.',
});
export const alertNotFound = createErrorFactory({ code: 'not_found', statusCode: 404, message: 'Alert not found.' });
export const silenceNotFound = createErrorFactory({
  code: 'not_found',
  statusCode: 404,
  message: 'Silence not found.',
});
export const webhookTargetRefused = createErrorFactory({
  code: 'invalid_request',
  statusCode: 400,
  message:
    'Webhook targets on loopback, link-local or private addresses are refused (set ALERT_WEBHOOK_ALLOW_PRIVATE=true on a LAN).',
});
export const emailUnavailable = createErrorFactory({
  code: 'invalid_request',
  statusCode: 400,
  message: 'Email notifications need SMTP_URL on the server.',
});
export const notAcknowledgeable = createErrorFactory({
  code: 'not_firing',
  statusCode: 409,
  message: 'Only a firing alert can be acknowledged.',
});
export const invalidRule = (message: string) => badRequest(message);
