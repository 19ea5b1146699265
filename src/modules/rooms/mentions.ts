/** A room member a mention may name. */
export interface Mentionable {
  agentId: string;
  name: string;
}

export interface ParsedMentions {
  /** Members named with `@name` (each once, in the order first named). */
  mentioned: Mentionable[];
  /** `@room` was used: every member agent but the sender is addressed. */
  room: boolean;
  /** Names that are no member of the room (each once, lower-cased). */
  unknown: string[];
}

export const ROOM_MENTION = 'room';

/**
 * `@name` where the `@` starts the text or follows whitespace or punctuation other than `/` (so `me@example.com`
 * and `https://host/@someone` are not mentions). Agent names are slugs: letters, digits and `. _ -`.
 */
const MENTION = /(?<![\p{L}\p{N}_@/])@([a-z0-9][a-z0-9._-]*)/giu;
/** Code is not prose: `inline` spans and ``` fences never mention anyone (`@Override`, `@types/node`). */
const CODE = /```[\s\S]*?(?:```|$)|`[^`\n]*`/g;

/** The distinct `@tokens` of a body outside code, lower-cased, in order. */
export function mentionTokens(body: string): string[] {
  if (!body.includes('@')) return [];
  const prose = body.includes('`') ? body.replace(CODE, ' ') : body;
  const tokens = new Set<string>();
  for (const match of prose.matchAll(MENTION)) tokens.add((match[1] ?? '').toLowerCase());
  return [...tokens];
}

/**
 * Resolves a body's mentions against the room's member agents. A token that names no member is tried without
 * its trailing `.`, `_` or `-` (`@alpha.` at the end of a sentence); what still names no one is `unknown`.
 */
export function parseMentions(body: string, members: readonly Mentionable[]): ParsedMentions {
  const byName = new Map<string, Mentionable[]>();
  for (const m of members) {
    const key = m.name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), m]);
  }
  const mentioned = new Map<string, Mentionable>();
  const unknown = new Set<string>();
  let room = false;
  for (const token of mentionTokens(body)) {
    const name = byName.has(token) ? token : token.replace(/[._-]+$/, '');
    if (name === ROOM_MENTION && !byName.has(name)) {
      room = true;
      continue;
    }
    const named = byName.get(name);
    if (!named) {
      if (name !== '') unknown.add(name);
      continue;
    }
    if (name === ROOM_MENTION) room = true;
    for (const m of named) if (!mentioned.has(m.agentId)) mentioned.set(m.agentId, m);
  }
  return { mentioned: [...mentioned.values()], room, unknown: [...unknown] };
}

/**
 * A body cut into text and the `@tokens` that address someone (`names`, lower-cased, or `@room`), for pages
 * that highlight mentions; every piece is still text to escape.
 */
export function mentionSegments(body: string, names: ReadonlySet<string>): { text: string; mention: boolean }[] {
  const segments: { text: string; mention: boolean }[] = [];
  let at = 0;
  for (const match of body.matchAll(MENTION)) {
    const token = (match[1] ?? '').toLowerCase();
    const name = names.has(token) ? token : token.replace(/[._-]+$/, '');
    if (!names.has(name) && name !== ROOM_MENTION) continue;
    const start = match.index;
    const end = start + 1 + name.length;
    if (start > at) segments.push({ text: body.slice(at, start), mention: false });
    segments.push({ text: body.slice(start, end), mention: true });
    at = end;
  }
  if (at < body.length) segments.push({ text: body.slice(at), mention: false });
  return segments;
}
