/** DATABASE_URL, else one built from POSTGRES_*, else undefined (embedded PGlite). */
export function resolveDatabaseUrl(env: {
  DATABASE_URL?: string | undefined;
  POSTGRES_HOST?: string | undefined;
  POSTGRES_PORT: number;
  POSTGRES_USER: string;
  POSTGRES_PASSWORD?: string | undefined;
  POSTGRES_DB: string;
}): string | undefined {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!env.POSTGRES_HOST) return undefined;
  const user = encodeURIComponent(env.POSTGRES_USER);
  const password = env.POSTGRES_PASSWORD ? `:${encodeURIComponent(env.POSTGRES_PASSWORD)}` : '';
  return `postgres://${user}${password}@${env.POSTGRES_HOST}:${env.POSTGRES_PORT}/${encodeURIComponent(env.POSTGRES_DB)}`;
}
