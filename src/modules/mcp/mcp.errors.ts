import { AppError } from '../../lib/errors.js';

export function tooManyWaits(maxPerAgent: number): AppError {
  return new AppError('too_many_waits', 429, `At most ${maxPerAgent} waits at once per agent; let one finish first.`);
}
