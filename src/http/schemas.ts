import { z } from 'zod';

/** The error envelope of API.md, for response schemas and the OpenAPI document. */
export const errorSchema = z
  .object({ error: z.string(), message: z.string(), request_id: z.string().optional() })
  .catchall(z.unknown());

/** `from`/`to` query parameters: ISO 8601 or unix seconds. */
export const timeParam = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const date = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'expected ISO 8601 or unix seconds' });
      return z.NEVER;
    }
    return date;
  });

export const uuidParam = z.uuid();
export const idParams = z.object({ id: z.uuid() });

/** A route's common error responses, so the OpenAPI document lists them. */
export function errors(...codes: (400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503)[]) {
  return Object.fromEntries(codes.map((c) => [c, errorSchema]));
}
