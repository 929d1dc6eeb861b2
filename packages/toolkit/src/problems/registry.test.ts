/**
 * The core problem types are a contract: clients branch on slug, status,
 * category and retryable, so those are written out here as literals. Titles
 * and descriptions may be improved, but none may be empty.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coreProblems, createProblemRegistry, type ProblemType } from './registry.ts';

const CONTRACT: [slug: string, status: number, category: string, retryable: boolean][] = [
  ['validation-failed', 400, 'validation', false],
  ['malformed-json', 400, 'validation', false],
  ['unsupported-media-type', 415, 'validation', false],
  ['payload-too-large', 413, 'validation', false],
  ['bad-request', 400, 'validation', false],
  ['uri-too-long', 414, 'validation', false],
  ['header-too-large', 431, 'validation', false],
  ['request-timeout', 408, 'validation', true],
  ['not-found', 404, 'not-found', false],
  ['method-not-allowed', 405, 'validation', false],
  ['unauthorized', 401, 'unauthorized', false],
  ['forbidden', 403, 'forbidden', false],
  ['precondition-required', 428, 'precondition', false],
  ['precondition-failed', 412, 'precondition', false],
  ['database-unavailable', 503, 'dependency', true],
  ['not-ready', 503, 'dependency', true],
  ['internal-error', 500, 'internal', false],
];

const type = (slug: string): ProblemType => ({
  slug,
  status: 400,
  title: 't',
  category: 'validation',
  retryable: false,
  description: 'd',
});

describe('coreProblems', () => {
  test('slug, status, category and retryable of each core type, in order', () => {
    assert.deepEqual(
      coreProblems.map((p) => [p.slug, p.status, p.category, p.retryable]),
      CONTRACT,
    );
  });

  test('every core type has a title and a description a docs page can show', () => {
    for (const p of coreProblems) {
      assert.ok(p.title.length >= 5 && !p.title.includes('Stryker'), `${p.slug}: title "${p.title}"`);
      assert.ok(p.description.length >= 40, `${p.slug}: description "${p.description}"`);
      assert.ok(!p.description.includes('Stryker'), p.slug);
    }
  });
});

describe('createProblemRegistry', () => {
  test('finds each type by slug, lists them all in registration order, and knows no others', () => {
    const extra = [type('order-not-payable'), type('x9')];
    const registry = createProblemRegistry(coreProblems, extra);
    assert.equal(registry.get('order-not-payable'), extra[0]);
    assert.equal(registry.get('internal-error'), coreProblems.at(-1));
    assert.equal(registry.get('nope'), undefined);
    assert.deepEqual(
      registry.all().map((p) => p.slug),
      [...CONTRACT.map((c) => c[0]), 'order-not-payable', 'x9'],
    );
    assert.deepEqual(createProblemRegistry().all(), []);
  });

  test('a slug must be lower-case letters, digits and dashes, starting with a letter', () => {
    for (const bad of ['', 'Upper', '9lives', '-dash', 'has space', 'under_score', 'dot.ted', 'ok\n'])
      assert.throws(() => createProblemRegistry([type(bad)]), { message: `bad problem slug ${bad}` });
    for (const good of ['a', 'a-b', 'z9-0'])
      assert.equal(createProblemRegistry([type(good)]).get(good)?.slug, good);
  });

  test('a slug registered twice is refused, across groups too', () => {
    assert.throws(() => createProblemRegistry([type('same')], [type('same')]), {
      message: 'problem slug same registered twice',
    });
  });
});
