import { createErrorFactory } from '../../lib/errors.js';

/** Fields: `conflicts` (who holds what, and until when). */
export const claimConflict = createErrorFactory({
  code: 'claim_conflict',
  statusCode: 409,
  message: 'The resource is already claimed.',
});
export const claimNotFound = createErrorFactory({ code: 'not_found', statusCode: 404, message: 'Claim not found.' });
export const claimEnded = createErrorFactory({
  code: 'claim_ended',
  statusCode: 409,
  message: 'The claim expired or was released; claim the resource again.',
});
export const notTheHolder = createErrorFactory({
  code: 'forbidden',
  statusCode: 403,
  message: 'Only the holder of a claim may renew it.',
});
export const mayNotRelease = createErrorFactory({
  code: 'forbidden',
  statusCode: 403,
  message: 'Only the holder of a claim, or someone who may manage the room, may release it.',
});
export const tooManyClaims = createErrorFactory({
  code: 'too_many_claims',
  statusCode: 409,
  message: 'The room has too many live claims; release some first.',
});
