import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/lib/paths.js';

interface PackageJson {
  types: string;
  exports: Record<string, { types: string; default: string }>;
}

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PackageJson;
const buildConfig = JSON.parse(readFileSync(join(packageRoot, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { declaration?: boolean; outDir: string; rootDir: string };
};

/** `npm run build` output as package.json promises it (dist/src/... .js beside .d.ts). */
describe('the package exports', () => {
  it('gives every export a types entry next to its JavaScript, types first', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './client']);
    for (const [name, target] of Object.entries(pkg.exports)) {
      expect(Object.keys(target), name).toEqual(['types', 'default']);
      expect(target.types, name).toBe(target.default.replace(/\.js$/, '.d.ts'));
      // Each points at a source file the build compiles (rootDir "." → dist/src/...).
      const source = target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
      expect(readFileSync(join(packageRoot, source), 'utf8').length, source).toBeGreaterThan(0);
    }
    expect(pkg.types).toBe(pkg.exports['.']?.types);
    expect(buildConfig.compilerOptions).toMatchObject({ declaration: true, outDir: 'dist', rootDir: '.' });
  });

  it('keeps the client SDK free of server code, so agents can import it alone', () => {
    const dir = join(packageRoot, 'src', 'client');
    for (const file of readdirSync(dir)) {
      const imports = [...readFileSync(join(dir, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const specifier of imports)
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^(node:|\.\/|socket\.io-client$)/);
    }
  });
});
