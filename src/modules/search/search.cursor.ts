import { createHash } from 'node:crypto';
import { searchErrors } from './search.errors.js';

/** Where a page ended: the last row's sort key (rank desc, created_at desc, id desc), exactly as stored. */
export interface SearchPosition {
  /** ts_rank_cd as Postgres printed it (a `real`; its text reads back to the same value). */
  rank: string;
  /** created_at to the microsecond, UTC (a JavaScript Date would lose the microseconds). */
  createdAt: string;
  id: string;
}

/** A message's place in time order (created_at to the microsecond, then id). */
export interface MessageEdge {
  createdAt: string;
  id: string;
}

/**
 * What a cursor says: where the last page ended and, from version 2 on, which matches the search ranks — those at
 * or after `oldest`, the oldest of the window the first page ranked (null: it ranked every match). Version 1
 * cursors (before the window) carry none: the service ranks the newest window again.
 */
export interface SearchCursor {
  position: SearchPosition;
  window?: { oldest: MessageEdge | null } | undefined;
}

const VERSION = 2;
const RANK = /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A short digest of the search a cursor belongs to, so a cursor is not replayed against another search. */
export function searchKey(search: Record<string, string | undefined>): string {
  return createHash('sha256').update(JSON.stringify(search)).digest('base64url').slice(0, 12);
}

function checksum(body: string): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 8);
}

const edgeOk = (createdAt: unknown, id: unknown): boolean =>
  typeof createdAt === 'string' &&
  TIMESTAMP.test(createdAt) &&
  !Number.isNaN(Date.parse(createdAt)) &&
  typeof id === 'string' &&
  UUID.test(id);

/** Opaque base64url: `[[version, rank, created_at, id, search key, oldest [created_at, id] | null], checksum]`. */
export function encodeCursor({ position, window }: Required<SearchCursor>, key: string): string {
  const oldest = window.oldest ? [window.oldest.createdAt, window.oldest.id] : null;
  const body = JSON.stringify([VERSION, position.rank, position.createdAt, position.id, key, oldest]);
  return Buffer.from(JSON.stringify([body, checksum(body)])).toString('base64url');
}

/** The position and window a cursor names; 400 for anything that is not a cursor this server gave for this search. */
export function decodeCursor(cursor: string, key: string): SearchCursor {
  let outer: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    outer = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw searchErrors.invalidCursor();
  }
  if (!Array.isArray(outer) || typeof outer[0] !== 'string' || outer[1] !== checksum(outer[0]))
    throw searchErrors.invalidCursor();
  let inner: unknown;
  try {
    inner = JSON.parse(outer[0]);
  } catch {
    throw searchErrors.invalidCursor();
  }
  if (!Array.isArray(inner)) throw searchErrors.invalidCursor();
  const version: unknown = inner[0];
  if (!((version === 1 && inner.length === 5) || (version === VERSION && inner.length === 6)))
    throw searchErrors.invalidCursor();
  const [, rank, createdAt, id, cursorKey, oldest] = inner as unknown[];
  if (typeof rank !== 'string' || !RANK.test(rank) || !edgeOk(createdAt, id)) throw searchErrors.invalidCursor();
  const edge = Array.isArray(oldest) && oldest.length === 2 ? (oldest as unknown[]) : undefined;
  if (version === VERSION && oldest !== null && !(edge && edgeOk(edge[0], edge[1]))) throw searchErrors.invalidCursor();
  if (cursorKey !== key) throw searchErrors.invalidCursor('the cursor belongs to another search');
  const position = { rank, createdAt: createdAt as string, id: id as string };
  if (version === 1) return { position };
  return { position, window: { oldest: edge ? { createdAt: String(edge[0]), id: String(edge[1]) } : null } };
}
