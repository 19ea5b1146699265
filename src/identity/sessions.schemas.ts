import { z } from 'zod';
import { email, password, personName } from '../modules/users/users.schemas.js';

// Loose on purpose: a malformed email gets the same invalid_credentials answer as a wrong one.
export const loginBody = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(256),
  next: z.string().max(500).optional(),
  _csrf: z.string().max(200).optional(),
});

export const loginQuery = z.object({ next: z.string().max(500).optional() });
export const tokenParams = z.object({ token: z.string().min(10).max(200) });
export const bootstrapBody = z.object({ email, name: personName, password, _csrf: z.string().max(200).optional() });
export const loginLinkBody = z.object({ email });
export const loginLinkResponse = z.object({ url: z.string(), expires_at: z.string() });
