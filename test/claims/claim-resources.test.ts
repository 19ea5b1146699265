import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resourcesOverlap } from '../../src/modules/claims/claim-resources.js';
import { resourceProblem } from '../../src/modules/claims/claims.schemas.js';
import { conflicts } from '../../src/modules/claims/claims.service.js';

/** An independent reading of the glob rules, as a regular expression (the overlap test is not built on it). */
function globRegex(pattern: string): RegExp {
  let source = '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    if (c === '*' && chars[i + 1] === '*' && chars[i + 2] === '/') {
      source += '(?:.*/)?';
      i += 2;
    } else if (c === '*' && chars[i + 1] === '*') {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[\\^$.|+()[\]{}-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'su');
}
const matches = (pattern: string, s: string) => globRegex(pattern).test(s);

describe('which resources overlap', () => {
  it.each([
    ['task:1234', 'task:1234', true],
    ['task:1234', 'task:12345', false],
    ['task:1', 'file:1', false],
    ['file:src/app.ts', 'file:src/*.ts', true],
    ['file:src/app.ts', 'file:src/**/*.ts', true],
    ['file:src/a/b/app.ts', 'file:src/**/*.ts', true],
    ['file:src/a/b/app.ts', 'file:src/*.ts', false],
    ['file:src/app.js', 'file:src/**/*.ts', false],
    ['file:lib/app.ts', 'file:src/**', false],
    ['file:src/app.ts', 'file:src/ap?.ts', true],
    ['file:src/a/p.ts', 'file:src/a?p.ts', false],
    ['file:x', 'file:**/x', true],
    ['file:a/x', 'file:**/x', true],
    ['file:src/**', 'file:src/*.ts', true],
    ['file:src/*.ts', 'file:src/*.js', false],
    ['file:src/*.ts', 'file:*/app.*', true],
    ['file:src/*', 'file:lib/*', false],
    ['file:*/a', 'file:*/b', false],
    ['file:a*', 'file:*b', true],
    ['file:?', 'file:/', false],
    ['task:*', 'task:', true],
    ['file:**', 'file:anything/at/all', true],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(resourcesOverlap(a, b)).toBe(expected);
    expect(resourcesOverlap(b, a)).toBe(expected);
  });

  it('makes exclusive claims conflict with any overlapping claim, and shared ones only with exclusive ones', () => {
    const claim = (resource: string, mode: 'exclusive' | 'shared') => ({ resource, mode });
    expect(conflicts(claim('task:1', 'exclusive'), claim('task:1', 'shared'))).toBe(true);
    expect(conflicts(claim('task:1', 'shared'), claim('task:1', 'exclusive'))).toBe(true);
    expect(conflicts(claim('task:1', 'exclusive'), claim('task:1', 'exclusive'))).toBe(true);
    expect(conflicts(claim('task:1', 'shared'), claim('task:1', 'shared'))).toBe(false);
    expect(conflicts(claim('file:**', 'shared'), claim('file:a', 'exclusive'))).toBe(true);
    expect(conflicts(claim('task:1', 'exclusive'), claim('task:2', 'exclusive'))).toBe(false);
  });

  it('stays fast on a pathological pair of globs', () => {
    const a = `file:${'*a'.repeat(60)}`;
    const b = `file:${'a*'.repeat(60)}b`;
    const started = performance.now();
    resourcesOverlap(a, b);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

// Patterns over a small alphabet, so random ones often meet.
const piece = fc.constantFrom('a', 'b', '/', '.', '*', '**', '**/', '?', 'é', '😀');
const pattern = (max: number) => fc.array(piece, { minLength: 1, maxLength: max }).map((p) => `file:${p.join('')}`);

/** A string the glob matches: every wildcard replaced by something it may stand for. */
function instanceOf(glob: string, fill: () => string, fillNoSlash: () => string): string {
  return glob
    .replace(/\*\*\/|\*\*|\*|\?/g, (w) =>
      w === '**/' ? (fill().length % 2 ? '' : `${fill()}/`) : w === '**' ? fill() : w === '*' ? fillNoSlash() : 'q',
    )
    .replace(/\*/g, '');
}

describe('the overlap rule, for any resources', () => {
  it('always finds a glob overlapping every exact resource it matches', () => {
    fc.assert(
      fc.property(
        pattern(10),
        fc.array(fc.stringMatching(/^[a-z/.]{0,4}$/), { minLength: 30, maxLength: 30 }),
        (glob, fills) => {
          let n = 0;
          const fill = () => fills[n++ % fills.length] ?? '';
          const fillNoSlash = () => fill().replace(/\//g, '');
          const exact = instanceOf(glob, fill, fillNoSlash);
          expect(matches(glob, exact), `${glob} should match ${exact}`).toBe(true);
          expect(resourcesOverlap(glob, exact)).toBe(true);
          expect(resourcesOverlap(exact, glob)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never says two resources are apart when some string matches both', () => {
    fc.assert(
      fc.property(pattern(6), pattern(6), fc.stringMatching(/^[ab/.]{0,8}$/), (a, b, tail) => {
        const s = `file:${tail}`;
        if (matches(a, s) && matches(b, s)) expect(resourcesOverlap(a, b)).toBe(true);
        expect(resourcesOverlap(a, b)).toBe(resourcesOverlap(b, a));
      }),
      { numRuns: 2000 },
    );
  });

  it('only says two short resources overlap when a string matching both exists', () => {
    const alphabet = ['a', 'b', '/', 'c'];
    const strings = [''];
    for (let length = 1, level = ['']; length <= 6; length++) {
      level = level.flatMap((s) => alphabet.map((c) => s + c));
      strings.push(...level);
    }
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', '/', '*', '**', '**/', '?'), { minLength: 1, maxLength: 3 }),
        fc.array(fc.constantFrom('a', 'b', '/', '*', '**', '**/', '?'), { minLength: 1, maxLength: 3 }),
        (pa, pb) => {
          const a = `file:${pa.join('')}`;
          const b = `file:${pb.join('')}`;
          const [ra, rb] = [globRegex(a), globRegex(b)];
          const witness = strings.some((s) => ra.test(`file:${s}`) && rb.test(`file:${s}`));
          expect(resourcesOverlap(a, b), `${a} vs ${b}`).toBe(witness);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('which resource names are refused', () => {
  it.each([
    ['task:1234', undefined],
    ['file:src/**/*.ts', undefined],
    ['file:docs/My Notes.md', undefined],
    ['file:<script>alert(1)</script>', undefined],
    ['issue:héllo-wörld', undefined],
  ])('accepts %s', (name, problem) => expect(resourceProblem(name)).toBe(problem));

  it.each([
    'no-kind',
    ':nothing',
    'Task:1',
    'task:',
    'task: leading',
    'task:trailing ',
    'task:tab\there',
    'task:new\nline',
    'task:nul\u0000',
    'task:bidi\u202eoverride',
    'task:zero\u200bwidth',
    'file:***',
    `${'k'.repeat(33)}:x`,
  ])('refuses %j', (name) => expect(resourceProblem(name)).toEqual(expect.any(String)));
});
