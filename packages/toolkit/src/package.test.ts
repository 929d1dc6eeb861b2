/**
 * The toolkit's boundaries, checked on its sources: one `exports` subpath per
 * block folder (and back), no app knowledge, no import from outside the
 * package but its declared dependencies, blocks reach each other only
 * through their index.ts, and every block has a usage test on its public import.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

const blocks = fs
  .readdirSync(SRC, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function filesOf(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    return d.isDirectory() ? filesOf(full) : d.name.endsWith('.ts') ? [full] : [];
  });
}
const sources = filesOf(SRC).filter((f) => !f.endsWith('.test.ts'));

function specifiersOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g)].map(
    (m) => m[1] ?? m[2],
  );
}

describe('@steadfast/toolkit', () => {
  test('exports: one subpath per block folder, each pointing at that folder', () => {
    const subpaths = Object.keys(pkg.exports)
      .filter((k) => k !== './package.json')
      .map((k) => k.slice(2))
      .sort();
    assert.deepEqual(subpaths, blocks);
    for (const block of blocks) {
      const entry = pkg.exports[`./${block}`];
      assert.deepEqual(entry, {
        'steadfast-source': `./src/${block}/index.ts`,
        types: `./dist/${block}/index.d.ts`,
        default: `./dist/${block}/index.js`,
      });
      assert.ok(fs.existsSync(path.join(SRC, block, 'index.ts')), `${block}/index.ts is its public surface`);
    }
  });

  test('no app knowledge: no orders, payments, charges, reconciliation or /v1 in the sources', () => {
    const forbidden = [
      /\/v1\b/,
      /\borders?_/i,
      /\borders\b/i,
      /\bpayments?\b/i,
      /\bcharges?\b/i,
      /\breconcil/i,
    ];
    const found = sources.flatMap((file) => {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      return lines.flatMap((line, i) =>
        forbidden.some((re) => re.test(line))
          ? [`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`]
          : [],
      );
    });
    assert.deepEqual(found, []);
  });

  test('imports stay inside the package or name a declared dependency', () => {
    const declared = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    const bad = sources.flatMap((file) =>
      specifiersOf(file).flatMap((spec) => {
        if (spec.startsWith('node:')) return [];
        if (spec.startsWith('.')) {
          const target = path.resolve(path.dirname(file), spec);
          return target.startsWith(`${SRC}${path.sep}`) && spec.endsWith('.ts')
            ? []
            : [`${path.relative(ROOT, file)} imports ${spec}`];
        }
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        return declared.has(name) ? [] : [`${path.relative(ROOT, file)} imports undeclared ${spec}`];
      }),
    );
    assert.deepEqual(bad, []);
  });

  test('a block reaches another block only through its index.ts', () => {
    const bad = sources.flatMap((file) => {
      const own = path.relative(SRC, file).split(path.sep)[0];
      return specifiersOf(file)
        .filter((spec) => spec.startsWith('..'))
        .flatMap((spec) => {
          const rel = path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep);
          return rel[0] !== own && rel[1] !== 'index.ts'
            ? [`${path.relative(ROOT, file)} imports ${spec}`]
            : [];
        });
    });
    assert.deepEqual(bad, []);
  });

  test('every block has a usage test that imports only its public subpath (and the supporting ones)', () => {
    const supporting = ['testing', 'postgres', 'observability', 'problems', 'ids'].map(
      (b) => `@steadfast/toolkit/${b}`,
    );
    const wrong = blocks.flatMap((block) => {
      const usage = path.join(SRC, block, 'usage.test.ts');
      if (!fs.existsSync(usage)) return [`${block}: no usage.test.ts`];
      return specifiersOf(usage)
        .filter(
          (spec) =>
            spec.startsWith('.') ||
            (spec.startsWith('@steadfast/') &&
              spec !== `@steadfast/toolkit/${block}` &&
              !supporting.includes(spec)),
        )
        .map((spec) => `${block}/usage.test.ts imports ${spec}`);
    });
    assert.deepEqual(wrong, []);
  });
});
