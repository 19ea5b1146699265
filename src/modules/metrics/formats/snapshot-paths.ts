/** Building snapshots from other formats' names: what the OTLP and remote_write mappings share. */
export type Node = Record<string, unknown>;

/** Series paths take segments of at most 64 characters; longer generated segments are shortened with a hash. */
const MAX_GENERATED_SEGMENT = 64;
const MAX_SEGMENT = 128;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** A key a snapshot may hold: 1–128 characters, no NUL, valid Unicode, not `__proto__`. */
export function isSafeKey(key: string): boolean {
  return (
    key.length > 0 &&
    key.length <= MAX_SEGMENT &&
    key !== '__proto__' &&
    !key.includes('\u0000') &&
    !LONE_SURROGATE.test(key)
  );
}

/** A generated segment (`k=v,k=v`) over 64 characters, cut and suffixed with its FNV-1a hash. */
export function shorten(segment: string): string {
  if (segment.length <= MAX_GENERATED_SEGMENT) return segment;
  let hash = 0x811c9dc5;
  for (let i = 0; i < segment.length; i++) hash = Math.imul(hash ^ segment.charCodeAt(i), 0x01000193) >>> 0;
  return `${segment.slice(0, MAX_GENERATED_SEGMENT - 9)}_${hash.toString(16).padStart(8, '0')}`;
}

export function percent(fraction: number): number {
  return Math.min(100, Math.max(0, 100 * fraction));
}

export function child(node: Node | undefined, key: string): Node | undefined {
  const value = node && Object.hasOwn(node, key) ? node[key] : undefined;
  return isNode(value) ? value : undefined;
}

export function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null;
}

/** Sets `value` at `path`, creating objects as needed; a value in the way is replaced (the later point wins). */
export function setPath(root: Node, path: readonly string[], value: unknown): void {
  let current = root;
  for (const key of path.slice(0, -1)) {
    const next = child(current, key);
    if (next) current = next;
    else current = current[key] = {};
  }
  current[path[path.length - 1] as string] = value;
}
