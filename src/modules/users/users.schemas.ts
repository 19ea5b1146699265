import { z } from 'zod';
import type { UserRow } from '../../db/schema/index.js';
import { userPlans, userRoles } from '../../db/schema/index.js';

export const email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
/** argon2 cost is bounded by capping the length; 10 characters is the floor we accept. */
export const password = z.string().min(10, 'must be at least 10 characters').max(256);
export const personName = z.string().trim().min(1).max(100);

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(userRoles),
  plan: z.enum(userPlans),
  created_at: z.string(),
  disabled: z.boolean(),
});

export const createUserBody = z.object({
  email,
  name: personName,
  password: password.optional(),
  role: z.enum(userRoles).optional(),
  plan: z.enum(userPlans).optional(),
});

export const updateUserBody = z
  .object({
    name: personName.optional(),
    role: z.enum(userRoles).optional(),
    plan: z.enum(userPlans).optional(),
    disabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'at least one field is required');

export function presentUser(row: UserRow): z.infer<typeof userSchema> {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    plan: row.plan,
    created_at: row.createdAt.toISOString(),
    disabled: row.disabledAt !== null,
  };
}
