/** Bounds on one snapshot's `metrics` object: it is stored as jsonb and rendered on pages. */
export interface ShapeLimits {
  maxDepth: number;
  maxKeys: number;
  maxKeyLength: number;
  maxStringLength: number;
}

export const DEFAULT_SHAPE_LIMITS: ShapeLimits = {
  maxDepth: 6,
  maxKeys: 1000,
  maxKeyLength: 128,
  maxStringLength: 4096,
};

/**
 * Checks that `value` is an object of numbers, strings, booleans and nested
 * objects within the limits. Returns a message naming the first offending
 * path, or undefined. Hand-written (not a recursive Zod schema) because it
 * runs on every ingested sample.
 */
export function checkMetricsShape(value: unknown, limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): string | undefined {
  if (!isPlainObject(value)) return 'metrics must be an object';
  let keys = 0;
  // The keys from the root to the node being walked: a path is spelled out only for a message.
  const trail: string[] = [];
  const spell = (...more: string[]) => ['metrics', ...trail, ...more].join('.');
  const walk = (node: Record<string, unknown>, depth: number): string | undefined => {
    if (depth > limits.maxDepth) return `${spell()} is nested deeper than ${limits.maxDepth} levels`;
    for (const key in node) {
      if (++keys > limits.maxKeys) return `metrics has more than ${limits.maxKeys} keys`;
      if (key.length === 0 || key.length > limits.maxKeyLength)
        return `${spell()}: key length must be 1-${limits.maxKeyLength}`;
      // jsonb cannot store NUL; refusing it here keeps one bad sample from failing a shared commit.
      if (key.includes('\u0000')) return `${spell()}: keys may not contain NUL`;
      if (LONE_SURROGATE.test(key)) return `${spell()}: keys must be valid Unicode`;
      const child = node[key];
      switch (typeof child) {
        case 'number':
          if (!Number.isFinite(child)) return `${spell(key)} must be a finite number`;
          break;
        case 'boolean':
          break;
        case 'string':
          if (child.length > limits.maxStringLength)
            return `${spell(key)} is longer than ${limits.maxStringLength} characters`;
          if (child.includes('\u0000')) return `${spell(key)} may not contain NUL`;
          if (LONE_SURROGATE.test(child)) return `${spell(key)} must be valid Unicode`;
          break;
        case 'object': {
          if (!isPlainObject(child))
            return `${spell(key)} must be a number, string, boolean or object (arrays and null are not accepted)`;
          trail.push(key);
          const problem = walk(child, depth + 1);
          if (problem) return problem;
          trail.pop();
          break;
        }
        default:
          return `${spell(key)} has an unsupported type`;
      }
    }
    return undefined;
  };
  return walk(value, 1);
}

// In /u mode a surrogate pair is one code point, so this matches only unpaired halves, which jsonb refuses.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
