import type { Config } from '../config.js';
import { randomToken, sha256 } from '../lib/crypto.js';
import type { AuditService } from '../modules/audit/audit.service.js';
import type { UsersService } from '../modules/users/users.service.js';
import type { SessionsRepository } from './sessions.repository.js';
import { invalidOrExpiredLink } from './sessions.errors.js';
import type { ClientInfo, NewSession, SessionsService } from './sessions.service.js';

const LOGIN_LINK_TTL_MS = 5 * 60 * 1000;
const BOOTSTRAP_LINK_TTL_MS = 60 * 60 * 1000;

interface Deps {
  config: Config;
  /** Login tokens are stored beside sessions, as hashes. */
  repository: SessionsRepository;
  users: UsersService;
  sessions: Pick<SessionsService, 'startSession'>;
  audit: AuditService;
}

/** 5-minute single-use sign-in links issued by an admin, and the first-run link that creates the first admin. */
export function createMagicLinksService({ config, repository, users, sessions, audit }: Deps) {
  const { startSession } = sessions;

  async function issueLoginLink(email: string, issuedBy: { actorId: string | null; ip?: string | undefined }) {
    const user = await users.findByEmail(email);
    if (!user || user.disabledAt) return undefined;
    const token = randomToken(32);
    const expiresAt = new Date(Date.now() + LOGIN_LINK_TTL_MS);
    await repository.insertLoginToken({ userId: user.id, purpose: 'login', tokenHash: sha256(token), expiresAt });
    await audit.record({
      type: 'login_link.issued',
      actorType: issuedBy.actorId ? 'user' : 'system',
      actorId: issuedBy.actorId,
      subjectType: 'user',
      subjectId: user.id,
      ip: issuedBy.ip,
    });
    return { url: `${config.publicUrl}/auth/token/${token}`, expiresAt };
  }

  /** First run: a one-time link that lets a person create the first admin. Only while there are no users. */
  async function issueBootstrapLink() {
    if ((await users.count()) > 0) return undefined;
    const token = randomToken(32);
    const expiresAt = new Date(Date.now() + BOOTSTRAP_LINK_TTL_MS);
    await repository.insertLoginToken({ userId: null, purpose: 'bootstrap', tokenHash: sha256(token), expiresAt });
    await audit.record({
      type: 'login_link.issued',
      actorType: 'system',
      actorId: null,
      payload: { purpose: 'bootstrap' },
    });
    return { url: `${config.publicUrl}/auth/token/${token}`, expiresAt };
  }

  /** What a link is for, without using it (GET shows a page; only POST signs in). */
  async function inspectLink(token: string): Promise<'login' | 'bootstrap' | undefined> {
    const row = await repository.findUsableLoginToken(sha256(token), new Date());
    if (!row) return undefined;
    if (row.purpose === 'bootstrap' && (await users.count()) > 0) return undefined;
    return row.purpose;
  }

  async function consumeLoginLink(token: string, client: ClientInfo): Promise<NewSession> {
    const row = await repository.findUsableLoginToken(sha256(token), new Date());
    if (!row || row.purpose !== 'login' || !row.userId) throw invalidOrExpiredLink();
    const { user } = await users.get(row.userId);
    if (user.disabledAt || !(await repository.consumeLoginToken(sha256(token), new Date())))
      throw invalidOrExpiredLink();
    const session = await startSession(user, client);
    await audit.record({
      type: 'login_link.used',
      actorType: 'user',
      actorId: user.id,
      subjectType: 'user',
      subjectId: user.id,
      ip: client.ip,
    });
    await audit.record({
      type: 'user.login',
      actorType: 'user',
      actorId: user.id,
      subjectType: 'user',
      subjectId: user.id,
      ip: client.ip,
      payload: { method: 'magic_link' },
    });
    return session;
  }

  async function completeBootstrap(
    token: string,
    input: { email: string; name: string; password: string } & ClientInfo,
  ): Promise<NewSession> {
    if ((await inspectLink(token)) !== 'bootstrap' || !(await repository.consumeLoginToken(sha256(token), new Date())))
      throw invalidOrExpiredLink();
    const { user } = await users.create({
      email: input.email,
      name: input.name,
      password: input.password,
      role: 'admin',
    });
    await audit.record({
      type: 'login_link.used',
      actorType: 'user',
      actorId: user.id,
      subjectType: 'user',
      subjectId: user.id,
      ip: input.ip,
      payload: { purpose: 'bootstrap' },
    });
    return startSession(user, input);
  }

  return { issueLoginLink, issueBootstrapLink, inspectLink, consumeLoginLink, completeBootstrap };
}

export type MagicLinksService = ReturnType<typeof createMagicLinksService>;
