import { z } from 'zod';
import { teamRoles } from '../../db/schema/index.js';
import { email } from '../users/users.schemas.js';

export const teamSchema = z.object({ id: z.string(), name: z.string(), role: z.enum(teamRoles) });
export const memberSchema = z.object({
  user_id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(teamRoles),
});
export const createTeamBody = z.object({ name: z.string().trim().min(1).max(100) });
export const addMemberBody = z.object({ email, role: z.enum(teamRoles).default('member') });
export const memberParams = z.object({ id: z.uuid(), user_id: z.uuid() });
