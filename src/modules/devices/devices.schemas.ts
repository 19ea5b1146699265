import { z } from 'zod';
import { serverId } from '../agents/agents.schemas.js';

/** device_info: a small flat object of scalars (it is shown to people and stored per agent). */
export const deviceInfo = z
  .record(z.string(), z.union([z.string().max(512), z.number(), z.boolean(), z.null()]))
  // Key lengths are a refinement, not a key schema: inside registerBody's intersection zod
  // silently dropped entries whose key failed the key schema instead of refusing them.
  .refine((o) => Object.keys(o).every((k) => k.length >= 1 && k.length <= 64), 'keys are 1 to 64 characters')
  .refine((o) => Object.keys(o).length <= 32, 'at most 32 keys')
  .refine((o) => JSON.stringify(o).length <= 4096, 'at most 4 KiB');

export const clientId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\w.:-]+$/, 'client_id may contain letters, digits and _ . : -');
export const deviceName = z.string().trim().min(1).max(100);
export const scope = z
  .string()
  .max(200)
  .regex(/^[\w:. -]*$/, 'invalid scope');

/** Form fields arrive as strings; OAuth errors are produced by the handler, so every field is optional here. */
export const oauthForm = z.object({
  grant_type: z.string().max(100).optional(),
  device_code: z.string().max(200).optional(),
  refresh_token: z.string().max(200).optional(),
  client_id: z.string().max(200).optional(),
  scope: z.string().max(500).optional(),
  device_name: z.string().max(500).optional(),
  server_id: z.string().max(500).optional(),
  device_info: z.string().max(8192).optional(),
  token: z.string().max(500).optional(),
  token_type_hint: z.string().max(50).optional(),
});

export const registerBody = z.object({
  device_name: deviceName,
  device_info: z.intersection(z.object({ server_id: serverId }), deviceInfo),
});

export const statusQuery = z.object({ device_code: z.string().min(1).max(200) });

export const approveBody = z.object({
  user_code: z.string().min(1).max(20),
  team_id: z.uuid().optional(),
  replace: z.boolean().optional(),
});
export const denyBody = z.object({ user_code: z.string().min(1).max(20) });

export const deviceAuthorizationResponse = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number(),
  interval: z.number(),
});

export const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number(),
  refresh_token: z.string(),
  scope: z.string(),
});

export const oauthError = z.object({
  error: z.string(),
  error_description: z.string(),
  message: z.string(),
  request_id: z.string(),
  interval: z.number().optional(),
});
