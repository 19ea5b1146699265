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
  const walk = (node: Record<string, unknown>, path: string, depth: number): string | undefined => {
    if (depth > limits.maxDepth) return `${path} is nested deeper than ${limits.maxDepth} levels`;
    for (const key in node) {
      if (++keys > limits.maxKeys) return `metrics has more than ${limits.maxKeys} keys`;
      if (key.length === 0 || key.length > limits.maxKeyLength)
        return `${path}: key length must be 1-${limits.maxKeyLength}`;
      // jsonb cannot store NUL; refusing it here keeps one bad sample from failing a shared commit.
      if (key.includes('\u0000')) return `${path}: keys may not contain NUL`;
      if (LONE_SURROGATE.test(key)) return `${path}: keys must be valid Unicode`;
      const child = node[key];
      const childPath = `${path}.${key}`;
      switch (typeof child) {
        case 'number':
          if (!Number.isFinite(child)) return `${childPath} must be a finite number`;
          break;
        case 'boolean':
          break;
        case 'string':
          if (child.length > limits.maxStringLength)
            return `${childPath} is longer than ${limits.maxStringLength} characters`;
          if (child.includes('\u0000')) return `${childPath} may not contain NUL`;
          if (LONE_SURROGATE.test(child)) return `${childPath} must be valid Unicode`;
          break;
        case 'object': {
          if (!isPlainObject(child))
            return `${childPath} must be a number, string, boolean or object (arrays and null are not accepted)`;
          const problem = walk(child, childPath, depth + 1);
          if (problem) return problem;
          break;
        }
        default:
          return `${childPath} has an unsupported type`;
      }
    }
    return undefined;
  };
  return walk(value, 'metrics', 1);
}

// In /u mode a surrogate pair is one code point, so this matches only unpaired halves, which jsonb refuses.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
