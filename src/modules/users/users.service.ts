import type { UserRow } from '../../db/schema/index.js';
import { hashSecret } from '../../lib/crypto.js';
import type { Actor } from '../../identity/actor.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UsersRepository } from './users.repository.js';
import { emailTaken, lastAdmin, userNotFound } from './users.errors.js';

export interface CreateUserInput {
  email: string;
  name: string;
  password?: string | undefined;
  role?: 'admin' | 'user' | undefined;
  plan?: 'free' | 'pro' | 'enterprise' | undefined;
}

export interface UpdateUserInput {
  name?: string | undefined;
  role?: 'admin' | 'user' | undefined;
  plan?: 'free' | 'pro' | 'enterprise' | undefined;
  disabled?: boolean | undefined;
}

interface Deps {
  repository: UsersRepository;
  audit: AuditService;
}

/** What another feature does when a person is disabled (sessions end, agents are suspended: ADR 0014). */
export type DisabledHandler = (userId: string) => Promise<void>;

export function createUsersService({ repository, audit }: Deps) {
  const disabledHandlers: DisabledHandler[] = [];

  async function create(
    input: CreateUserInput,
    context: { actor?: Actor; ip?: string } = {},
  ): Promise<{ user: UserRow }> {
    const user = await repository.insert({
      email: input.email.toLowerCase(),
      name: input.name,
      role: input.role ?? 'user',
      plan: input.plan ?? 'free',
      passwordHash: input.password ? await hashSecret(input.password) : null,
    });
    if (!user) throw emailTaken();
    await audit.record({
      type: 'user.created',
      actor: context.actor,
      actorType: context.actor ? undefined : 'system',
      subjectType: 'user',
      subjectId: user.id,
      ip: context.ip,
      payload: { role: user.role, plan: user.plan },
    });
    return { user };
  }

  async function update(
    id: string,
    input: UpdateUserInput,
    context: { actor?: Actor; ip?: string } = {},
  ): Promise<{ user: UserRow }> {
    const existing = await repository.findById(id);
    if (!existing) throw userNotFound();
    const demotes = existing.role === 'admin' && (input.role === 'user' || input.disabled === true);
    if (demotes && (await activeAdminCount()) <= 1) throw lastAdmin();
    const patch = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.role !== undefined ? { role: input.role } : {}),
      ...(input.plan !== undefined ? { plan: input.plan } : {}),
      ...(input.disabled !== undefined
        ? { disabledAt: input.disabled ? (existing.disabledAt ?? new Date()) : null }
        : {}),
    };
    const user = (await repository.update(id, patch)) ?? existing;
    if (input.disabled) for (const handler of disabledHandlers) await handler(id);
    await audit.record({
      type: 'user.updated',
      actor: context.actor,
      subjectType: 'user',
      subjectId: id,
      ip: context.ip,
      payload: { changes: Object.keys(patch) },
    });
    return { user };
  }

  async function activeAdminCount(): Promise<number> {
    return (await repository.list()).filter((u) => u.role === 'admin' && !u.disabledAt).length;
  }

  return {
    create,
    update,
    /** Registered by the feature that owns the consequence; each runs, in order, before update() returns. */
    whenDisabled: (handler: DisabledHandler) => void disabledHandlers.push(handler),
    list: async () => ({ users: await repository.list() }),
    get: async (id: string) => {
      const user = await repository.findById(id);
      if (!user) throw userNotFound();
      return { user };
    },
    findByEmail: (email: string) => repository.findByEmail(email),
    count: () => repository.count(),
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
