import nodemailer from 'nodemailer';
import type { NotificationChannelRow } from '../../db/schema/index.js';
import type { UserActor } from '../../identity/actor.model.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import { detailText, summaryLine, type NotificationPayload } from './notification-body.js';
import { postWebhook, signature, type DeliveryOutcome } from '../outbound/webhook-post.js';

export type { DeliveryOutcome };

export interface Delivery {
  key: string;
  channel: NotificationChannelRow;
  /** The channel's secret, decrypted (webhook HMAC key or Telegram bot token). */
  secret: string | undefined;
  payload: NotificationPayload;
}

interface Deps {
  timeoutMs: number;
  allowPrivate: boolean;
  smtpUrl: string | undefined;
  smtpFrom: string;
  rooms: Pick<RoomsService, 'send'>;
  /** The person a room notification is posted as (the channel's owner). */
  ownerActor: (userId: string) => Promise<UserActor | undefined>;
}

const NTFY_PRIORITY: Record<string, string> = { critical: '5', warning: '4', info: '3' };
const NTFY_TAGS: Record<string, string> = {
  critical: 'rotating_light',
  warning: 'warning',
  info: 'information_source',
};

/** The request a webhook channel makes, by preset. */
function webhookRequest(d: Delivery): { url: string; body: string; headers: Record<string, string> } {
  const target = d.channel.target;
  const text = summaryLine(d.payload);
  const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
  let request: { url: string; body: string; headers: Record<string, string> };
  switch (d.channel.preset ?? 'generic') {
    case 'slack':
      request = { url: target['url'] ?? '', ...json({ text: `${text}\n<${d.payload.url}|Open the agent>` }) };
      break;
    case 'discord':
      request = { url: target['url'] ?? '', ...json({ content: `${text}\n${d.payload.url}` }) };
      break;
    case 'telegram':
      // Bot API sendMessage; the channel's URL is the API base (https://api.telegram.org unless proxied).
      request = {
        url: `${(target['url'] ?? 'https://api.telegram.org').replace(/\/+$/, '')}/bot${d.secret ?? ''}/sendMessage`,
        ...json({ chat_id: target['chat_id'], text: `${text}\n${d.payload.url}`, disable_web_page_preview: true }),
      };
      break;
    case 'ntfy': {
      const resolved = d.payload.status === 'resolved';
      request = {
        url: target['url'] ?? '',
        body: detailText(d.payload),
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          title: text.slice(0, 250),
          priority: resolved ? '3' : (NTFY_PRIORITY[d.payload.rule.severity] ?? '3'),
          tags: resolved ? 'white_check_mark' : (NTFY_TAGS[d.payload.rule.severity] ?? 'bell'),
          click: d.payload.url,
        },
      };
      break;
    }
    default:
      request = { url: target['url'] ?? '', ...json(d.payload) };
  }
  request.headers['user-agent'] = 'AgentHub-Alerts/1';
  request.headers['x-agenthub-delivery'] = d.key;
  request.headers['x-agenthub-event'] = d.payload.status;
  // Telegram's secret is the bot token, in the URL: nothing to sign with.
  if (d.secret && d.channel.preset !== 'telegram')
    request.headers['x-agenthub-signature'] = signature(d.secret, request.body);
  return request;
}

/** smtp://user:pass@host:port (STARTTLS when offered) or smtps:// (TLS from the start). */
function createMailer(smtpUrl: string, timeoutMs: number) {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}

/** Sends one notification over its channel: webhook (and presets), email, or a room message. */
export function createNotificationSenders(deps: Deps) {
  const mailer = deps.smtpUrl ? createMailer(deps.smtpUrl, deps.timeoutMs) : undefined;

  const webhook = (d: Delivery): Promise<DeliveryOutcome> =>
    postWebhook(webhookRequest(d), { timeoutMs: deps.timeoutMs, allowPrivate: deps.allowPrivate });

  async function email(d: Delivery): Promise<DeliveryOutcome> {
    if (!mailer) return { ok: false, error: 'SMTP_URL is not set', final: true };
    const text = detailText(d.payload);
    try {
      await mailer.sendMail({
        from: deps.smtpFrom,
        to: d.channel.target['to'],
        subject: `[AgentHub] ${summaryLine(d.payload)}`,
        text,
        html: `<pre style="font: 14px/1.4 ui-monospace, monospace">${text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)}</pre>`,
        messageId: `<${d.key.replace(/[^A-Za-z0-9:.-]/g, '')}@agenthub>`,
        headers: { 'X-AgentHub-Delivery': d.key },
      });
      return { ok: true };
    } catch (error) {
      return { ok: false, error: `smtp: ${(error as Error).message}` };
    }
  }

  async function room(d: Delivery): Promise<DeliveryOutcome> {
    const actor = await deps.ownerActor(d.channel.ownerId);
    if (!actor) return { ok: false, error: 'the channel owner is disabled', final: true };
    try {
      // The idempotency key is the message's client_msg_id: a repeat is stored once.
      await deps.rooms.send(actor, {
        roomId: d.channel.target['room_id'] ?? '',
        body: detailText(d.payload),
        clientMsgId: d.key.slice(0, 100),
      });
      return { ok: true };
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      return { ok: false, error: `room: ${(error as Error).message}`, final: status < 500 };
    }
  }

  return {
    send(d: Delivery): Promise<DeliveryOutcome> {
      if (d.channel.kind === 'email') return email(d);
      if (d.channel.kind === 'room') return room(d);
      return webhook(d);
    },
    close: () => mailer?.close(),
    hasEmail: mailer !== undefined,
  };
}

export type NotificationSenders = ReturnType<typeof createNotificationSenders>;
