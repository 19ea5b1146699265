import { Command } from 'commander';
import type { z } from 'zod';
import { withServices } from './with-services.js';

// Errors thrown here reach main, which prints their message (no stack) and exits 1.
function parse<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${flag}: ${result.error.issues.map((i) => i.message).join('; ')}`);
  return result.data;
}

interface CreateOptions {
  email: string;
  name: string;
  admin?: boolean;
  password?: string;
}

async function createUser(options: CreateOptions): Promise<void> {
  const { email, password, personName } = await import('../modules/users/users.schemas.js');
  const input = {
    email: parse(email, options.email, '--email'),
    name: parse(personName, options.name, '--name'),
    password: options.password === undefined ? undefined : parse(password, options.password, '--password'),
    role: options.admin ? ('admin' as const) : ('user' as const),
  };
  await withServices(async ({ users }) => {
    const { user } = await users.create(input);
    console.log(`Created user ${user.id} (${user.email}, role ${user.role}).`);
    const hint = `agenthub users login-link --email ${user.email}`;
    console.log(
      input.password
        ? `They can sign in with their password, or with a one-time link: ${hint}`
        : `No password set: give them a one-time sign-in link with: ${hint}`,
    );
  });
}

async function loginLink(options: { email: string }): Promise<void> {
  const { email } = await import('../modules/users/users.schemas.js');
  const address = parse(email, options.email, '--email');
  await withServices(async ({ magicLinks }) => {
    const link = await magicLinks.issueLoginLink(address, { actorId: null });
    if (!link) throw new Error(`No active user with email ${address}.`);
    // The URL is the secret: printed once here and stored only as a hash.
    console.log(link.url);
    console.log(`Single use, valid until ${link.expiresAt.toISOString()} (5 minutes).`);
  });
}

export function usersCommand(): Command {
  const users = new Command('users').description('Manage people (create accounts, issue sign-in links).');
  users
    .command('create')
    .description('Create a person; prints their id. Without --password they sign in with a login link.')
    .requiredOption('--email <email>', 'email address (sign-in name, stored lower-cased)')
    .requiredOption('--name <name>', 'display name')
    .option('--admin', 'make them a server administrator', false)
    .option('--password <password>', 'initial password (at least 10 characters)')
    .action(createUser);
  users
    .command('login-link')
    .description('Print a one-time sign-in link (5 minutes, single use) for an existing person.')
    .requiredOption('--email <email>', 'their email address')
    .action(loginLink);
  return users;
}
