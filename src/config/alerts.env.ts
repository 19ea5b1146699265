import { z } from 'zod';
import { bool, duration } from './env-types.js';

/** Alerting: how often rules are evaluated, and how notifications are delivered. */
export const alertsEnv = {
  ALERTS_ENABLED: bool.default(true).describe('Evaluate alert rules and deliver notifications in this process.'),
  ALERT_EVAL_INTERVAL: duration
    .refine((seconds) => seconds >= 1, 'at least 1s')
    .default(30)
    .describe('How often every enabled alert rule is evaluated (one instance of a fleet at a time).'),
  ALERT_DELIVERY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe('A webhook or SMTP delivery that takes longer than this fails and is retried.'),
  ALERT_DELIVERY_GIVE_UP: duration
    .refine((seconds) => seconds >= 1, 'at least 1s')
    .default(86_400)
    .describe('A notification still undelivered this long after its transition is given up and recorded failed.'),
  ALERT_WEBHOOK_ALLOW_PRIVATE: bool
    .default(false)
    .describe('Allow webhook targets on loopback, link-local and private addresses (LAN installs; see ALERTING.md).'),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional()
    .describe('SMTP server for email notifications, e.g. smtp://user:pass@mail.lan:587; unset disables email.'),
  SMTP_FROM: z.string().min(3).default('AgentHub <alerts@localhost>').describe('From address of alert emails.'),
};
