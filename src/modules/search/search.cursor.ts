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

const VERSION = 1;
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

/** Opaque base64url: `[version, rank, created_at, id, search key, checksum]`. */
export function encodeCursor(position: SearchPosition, key: string): string {
  const body = JSON.stringify([VERSION, position.rank, position.createdAt, position.id, key]);
  return Buffer.from(JSON.stringify([body, checksum(body)])).toString('base64url');
}

/** The position a cursor names; 400 for anything that is not a cursor this server gave for this search. */
export function decodeCursor(cursor: string, key: string): SearchPosition {
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
  if (!Array.isArray(inner) || inner.length !== 5 || inner[0] !== VERSION) throw searchErrors.invalidCursor();
  const [, rank, createdAt, id, cursorKey] = inner as unknown[];
  if (
    typeof rank !== 'string' ||
    !RANK.test(rank) ||
    typeof createdAt !== 'string' ||
    !TIMESTAMP.test(createdAt) ||
    Number.isNaN(Date.parse(createdAt)) ||
    typeof id !== 'string' ||
    !UUID.test(id)
  )
    throw searchErrors.invalidCursor();
  if (cursorKey !== key) throw searchErrors.invalidCursor('the cursor belongs to another search');
  return { rank, createdAt, id };
}
