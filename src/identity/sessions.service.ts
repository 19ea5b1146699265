import type { UserRow } from '../db/schema/index.js';
import type { AttemptLimiters } from '../lib/attempt-limiter.js';
import { hashSecret, randomToken, sha256, verifySecret } from '../lib/crypto.js';
import type { AuditService } from '../modules/audit/audit.service.js';
import type { TeamsService } from '../modules/teams/teams.service.js';
import type { UsersService } from '../modules/users/users.service.js';
import { toUserIdentity, type UserActor } from './actor.model.js';
import type { SessionsRepository } from './sessions.repository.js';
import { invalidCredentials, tooManyAttempts } from './sessions.errors.js';

const SESSION_TTL_MS = 24 * 3600 * 1000;
const TOUCH_EVERY_MS = 5 * 60 * 1000;

interface Deps {
  repository: SessionsRepository;
  users: UsersService;
  teams: Pick<TeamsService, 'membershipsOf'>;
  audit: AuditService;
  limiters: AttemptLimiters;
}

export interface NewSession {
  user: UserRow;
  /** The cookie value: shown to the browser once, stored only as a hash. */
  token: string;
  expiresAt: Date;
}

export interface ClientInfo {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export function createSessionsService({ repository, users, teams, audit, limiters }: Deps) {
  // A disabled person's sessions end at once (ADR 0014).
  users.whenDisabled(async (userId) => {
    await repository.revokeUserSessions(userId, new Date());
  });

  // Per account: 5 failures per 15 minutes. Per IP limits are route rate limits.
  const accountFailures = limiters({ name: 'login-account', max: 5, windowMs: 15 * 60 * 1000 });
  // Unknown emails still pay one argon2 verification, so timing does not reveal which emails exist.
  const dummyHash = hashSecret(randomToken());

  async function startSession(user: UserRow, client: ClientInfo): Promise<NewSession> {
    const token = randomToken(32);
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await repository.insertSession({
      userId: user.id,
      tokenHash: sha256(token),
      expiresAt,
      ip: client.ip ?? null,
      userAgent: client.userAgent?.slice(0, 300) ?? null,
    });
    return { user, token, expiresAt };
  }

  async function login(input: { email: string; password: string } & ClientInfo): Promise<NewSession> {
    const key = input.email.toLowerCase();
    const wait = await accountFailures.retryAfter(key);
    if (wait) throw tooManyAttempts(wait);
    const user = await users.findByEmail(key);
    const valid = await verifySecret(user?.passwordHash ?? (await dummyHash), input.password);
    if (!user || !user.passwordHash || !valid || user.disabledAt) {
      await accountFailures.hit(key);
      await audit.record({
        type: 'user.login_failed',
        actorType: 'anon',
        actorId: null,
        subjectType: 'user',
        subjectId: user?.id ?? null,
        ip: input.ip,
        payload: { reason: user ? (user.disabledAt ? 'disabled' : 'bad_password') : 'unknown_email' },
      });
      throw invalidCredentials();
    }
    await accountFailures.reset(key);
    const session = await startSession(user, input);
    await audit.record({
      type: 'user.login',
      actorType: 'user',
      actorId: user.id,
      subjectType: 'user',
      subjectId: user.id,
      ip: input.ip,
      payload: { method: 'password' },
    });
    return session;
  }

  /** The signed-in user behind a cookie value, or undefined. Refreshes last_seen_at now and then. */
  async function resolve(token: string): Promise<{ user: UserRow; sessionId: string } | undefined> {
    const now = new Date();
    const row = await repository.findLiveSession(sha256(token), now);
    if (!row || row.user.disabledAt) return undefined;
    if (now.getTime() - row.session.lastSeenAt.getTime() > TOUCH_EVERY_MS)
      await repository.touchSession(row.session.id, now);
    return { user: row.user, sessionId: row.session.id };
  }

  /** The person behind a session cookie, as the actor routes and sockets see them. */
  async function resolveActor(token: string): Promise<UserActor | undefined> {
    const session = await resolve(token);
    if (!session) return undefined;
    const memberships = await teams.membershipsOf(session.user.id);
    return { kind: 'user', user: toUserIdentity(session.user), sessionId: session.sessionId, teams: memberships };
  }

  async function logout(sessionId: string, userId: string, ip?: string): Promise<void> {
    await repository.revokeSession(sessionId, new Date());
    await audit.record({
      type: 'user.logout',
      actorType: 'user',
      actorId: userId,
      subjectType: 'user',
      subjectId: userId,
      ip,
    });
  }

  return {
    login,
    resolve,
    resolveActor,
    logout,
    /** For the other ways in (magic links, first-run bootstrap): a session for a person already proven. */
    startSession,
    revokeUserSessions: async (userId: string) => {
      await repository.revokeUserSessions(userId, new Date());
    },
    purgeExpired: () => repository.purgeExpired(new Date()),
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
