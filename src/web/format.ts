/** One way to print a time on every page and in the live scripts: `2025-01-31 14:05:09 UTC`. */
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
