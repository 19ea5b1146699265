import { createErrorFactory } from '../../lib/errors.js';

const details = (path: string, message: string) => ({ details: [{ path: `querystring.${path}`, message }] });

const emptyQuery = createErrorFactory({ code: 'query_empty', statusCode: 400, message: 'q must not be empty.' });
const queryTooLong = createErrorFactory({ code: 'query_too_long', statusCode: 400, message: 'q is too long.' });
const queryWithoutTerms = createErrorFactory({
  code: 'query_without_terms',
  statusCode: 400,
  message: 'q has no word to search for (only stop words, punctuation or operators).',
});
const queryOnlyExcludes = createErrorFactory({
  code: 'query_only_excludes',
  statusCode: 400,
  message: 'q only excludes words (-word); say at least one word to find.',
});
const invalidQueryText = createErrorFactory({
  code: 'invalid_query',
  statusCode: 400,
  message: 'q contains characters that are not text (NUL).',
});
const invalidCursor = createErrorFactory({
  code: 'invalid_cursor',
  statusCode: 400,
  message: 'The cursor is invalid.',
});
const invalidRange = createErrorFactory({
  code: 'invalid_time_range',
  statusCode: 400,
  message: 'from must be before to.',
});

export const searchErrors = {
  emptyQuery: () => emptyQuery(undefined, details('q', 'empty')),
  queryTooLong: (max: number) =>
    queryTooLong(`q is at most ${max} characters.`, { limit: max, ...details('q', 'too long') }),
  queryWithoutTerms: () => queryWithoutTerms(undefined, details('q', 'no search terms')),
  queryOnlyExcludes: () => queryOnlyExcludes(undefined, details('q', 'only exclusions')),
  invalidQueryText: () => invalidQueryText(undefined, details('q', 'not text')),
  invalidCursor: (why = 'invalid cursor') => invalidCursor(undefined, details('cursor', why)),
  invalidRange: () => invalidRange(undefined, details('from', 'must be before to')),
};
