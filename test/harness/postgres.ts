/** The maintenance connection (database `postgres`) of TEST_DATABASE_URL's server. */
export function adminUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}

export function templateName(): string {
  return `agenthub_tpl_${process.pid}`;
}
