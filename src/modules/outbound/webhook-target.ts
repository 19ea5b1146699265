import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Loopback, private, link-local, carrier-grade NAT, unique-local, unspecified and multicast ranges. */
const internal = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  internal.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  internal.addSubnet(net, prefix, 'ipv6');

function isInternal(address: string): boolean {
  const family = isIP(address);
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped) return internal.check(mapped, 'ipv4');
    return internal.check(address, 'ipv6');
  }
  return family === 4 ? internal.check(address, 'ipv4') : true;
}

/**
 * SSRF guard: a webhook may not reach the server's own network unless the operator allows it
 * (ALERT_WEBHOOK_ALLOW_PRIVATE, WAKE_HOOK_ALLOW_PRIVATE: LAN installs). Every address the name resolves to
 * must be public.
 * Returns the reason it is refused, or undefined.
 */
export async function refusedTarget(url: string, allowPrivate: boolean): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'not http(s)';
  if (allowPrivate) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return 'the host name does not resolve';
  }
  if (addresses.length === 0 || addresses.some(isInternal)) return 'a loopback, link-local or private address';
  return undefined;
}

/**
 * A saved webhook URL as it is shown again: its origin and the last four characters. Chat webhook URLs
 * (Slack, Discord) carry their secret in the path, so the full URL is shown only when it is created.
 */
export function maskedUrl(url: string): string {
  try {
    const { origin } = new URL(url);
    return `${origin}/…${url.slice(-4)}`;
  } catch {
    return '…';
  }
}
