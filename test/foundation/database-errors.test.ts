import { describe, expect, it } from 'vitest';
import { fromDatabaseError } from '../../src/lib/errors.js';

/** A database error as node-postgres and PGlite raise it: a message and a SQLSTATE in `code`. */
const sqlError = (code: string, message = 'database error') => Object.assign(new Error(message), { code });

describe('database errors as answers', () => {
  it('answers an unreachable database with 503 unavailable and Retry-After', () => {
    expect(fromDatabaseError(sqlError('ECONNREFUSED'))).toMatchObject({
      statusCode: 503,
      code: 'unavailable',
      headers: { 'retry-after': '5' },
    });
    expect(fromDatabaseError(sqlError('57P01'))).toMatchObject({ statusCode: 503 });
  });

  it('answers a rolled-back transaction (deadlock victim, serialization failure) with 503 and a short Retry-After', () => {
    for (const code of ['40P01', '40001'])
      expect(fromDatabaseError(sqlError(code))).toMatchObject({
        statusCode: 503,
        code: 'unavailable',
        headers: { 'retry-after': '1' },
      });
  });

  it('answers a value the database refuses with 400 invalid_request', () => {
    expect(fromDatabaseError(sqlError('22021'))).toMatchObject({ statusCode: 400, code: 'invalid_request' });
  });

  it('leaves anything else to the caller (a 500 that is logged)', () => {
    expect(fromDatabaseError(sqlError('42P01'))).toBeUndefined();
    expect(fromDatabaseError(new Error('boom'))).toBeUndefined();
    expect(fromDatabaseError('not an error')).toBeUndefined();
  });
});
