/**
 * Claimable resources: `kind:name`, where the name may be a glob — `*` (any run of characters without `/`),
 * `**` (any run, `/` included; `**` then `/` also matches nothing, so `src/**` `/*.ts` matches `src/app.ts`) and `?`
 * (one character other than `/`); every other character is itself.
 * Two resources overlap when some string matches both. That is decided exactly (never guessed): the
 * product of the two patterns' automata is searched for a path that consumes both to their ends.
 */

type Token =
  | { kind: 'literal'; char: string }
  | { kind: 'one' }
  | { kind: 'star' }
  | { kind: 'globstar' }
  /** Before the globstar of `**` + `/`: it may be skipped with its slash (zero directories), consuming nothing. */
  | { kind: 'fork' };

/** True when the resource has a wildcard (`*`, `**` or `?`). */
export function isGlob(resource: string): boolean {
  return /[*?]/.test(resource);
}

function tokens(pattern: string): Token[] {
  const out: Token[] = [];
  // By code point, so `?` matches one character even outside the Basic Multilingual Plane.
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? '';
    if (char === '?') out.push({ kind: 'one' });
    else if (char !== '*') out.push({ kind: 'literal', char });
    else if (chars[i + 1] === '*') {
      if (chars[i + 2] === '/') out.push({ kind: 'fork' });
      out.push({ kind: 'globstar' });
      i += 1;
    } else out.push({ kind: 'star' });
  }
  return out;
}

const isStar = (t: Token) => t.kind === 'star' || t.kind === 'globstar';

/** Whether one character can be consumed by both tokens at once. */
function shareACharacter(a: Token, b: Token): boolean {
  if (a.kind === 'globstar' || b.kind === 'globstar') return true;
  if (a.kind === 'literal' && b.kind === 'literal') return a.char === b.char;
  if (a.kind === 'literal') return a.char !== '/';
  if (b.kind === 'literal') return b.char !== '/';
  return true; // `?` or `*` against `?` or `*`: any character but `/`
}

/** The literal text before the first wildcard, and after the last one (the whole string when there is none). */
function literalEnds(pattern: string): { prefix: string; suffix: string } {
  const first = pattern.search(/[*?]/);
  if (first === -1) return { prefix: pattern, suffix: pattern };
  const last = Math.max(pattern.lastIndexOf('*'), pattern.lastIndexOf('?'));
  // A last `**/` may match nothing, its slash included: that slash is not a sure suffix.
  const end = pattern.slice(last - 1, last + 2) === '**/' ? last + 2 : last + 1;
  return { prefix: pattern.slice(0, first), suffix: pattern.slice(end) };
}

/** Whether some string matches both patterns (exact resources are patterns without wildcards). */
export function resourcesOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const globA = isGlob(a);
  const globB = isGlob(b);
  if (!globA && !globB) return false;
  // Cheap refusals first: the literal prefixes (and suffixes) must agree as far as the shorter goes.
  const endsA = literalEnds(a);
  const endsB = literalEnds(b);
  if (!endsA.prefix.startsWith(endsB.prefix) && !endsB.prefix.startsWith(endsA.prefix)) return false;
  if (!endsA.suffix.endsWith(endsB.suffix) && !endsB.suffix.endsWith(endsA.suffix)) return false;
  return productAccepts(tokens(a), tokens(b));
}

/**
 * Depth-first search over the states (i, j) of the product automaton: i tokens of A and j of B consumed.
 * A star may be left (an empty run) or consume a character and stay; other tokens consume one and move on.
 * The literal prefix and suffix checks stay sound with `**` + `/`: it begins after the prefix and ends before the suffix.
 */
function productAccepts(a: Token[], b: Token[]): boolean {
  const width = b.length + 1;
  const seen = new Uint8Array((a.length + 1) * width);
  const stack: number[] = [0];
  seen[0] = 1;
  const visit = (i: number, j: number) => {
    const state = i * width + j;
    if (seen[state]) return;
    seen[state] = 1;
    stack.push(state);
  };
  while (stack.length > 0) {
    const state = stack.pop() ?? 0;
    const i = Math.floor(state / width);
    const j = state % width;
    if (i === a.length && j === b.length) return true;
    const ta = a[i];
    const tb = b[j];
    // A fork consumes nothing: into its globstar, or past the globstar and its slash (zero directories).
    if (ta?.kind === 'fork') {
      visit(i + 1, j);
      visit(i + 3, j);
      continue;
    }
    if (tb?.kind === 'fork') {
      visit(i, j + 1);
      visit(i, j + 3);
      continue;
    }
    if (ta && isStar(ta)) visit(i + 1, j);
    if (tb && isStar(tb)) visit(i, j + 1);
    if (ta && tb && shareACharacter(ta, tb)) {
      const ni = isStar(ta) ? i : i + 1;
      const nj = isStar(tb) ? j : j + 1;
      if (ni !== i || nj !== j) visit(ni, nj);
    }
  }
  return false;
}
