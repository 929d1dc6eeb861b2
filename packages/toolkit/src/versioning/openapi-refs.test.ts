/** versionDocument's $ref inlining in touched operations: nested and escaped pointers, siblings, arrays, cycles, external and unresolvable references. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VersionChange } from './changes.ts';
import { versionDocument } from './openapi.ts';

const change: VersionChange = {
  version: '2026-12-01',
  description: 'marks response schemas',
  routes: ['GET /r'],
  schema: { response: (schema) => ({ ...schema, old: true }) },
};

/** the 200 JSON schema of GET /r after inlining (and the change's mark), with `schemas` as components.schemas */
function inlined(schema: object, schemas: Record<string, unknown>, extra: object = {}): unknown {
  const source = {
    paths: { '/r': { get: { responses: { '200': { content: { 'application/json': { schema } } } } } } },
    components: { schemas },
    ...extra,
  };
  return versionDocument('2026-06-01', [change], source).paths['/r'].get.responses['200'].content[
    'application/json'
  ].schema;
}

describe('local $refs are replaced by what they point at', () => {
  test('nested: a $ref to a schema that has $refs of its own, inside properties and arrays', () => {
    const schemas = {
      Item: { type: 'object', required: ['tag'], properties: { tag: { $ref: '#/components/schemas/Tag' } } },
      Tag: { type: 'string', enum: ['a', null] },
    };
    assert.deepEqual(
      inlined({ allOf: [{ $ref: '#/components/schemas/Item' }, { example: null }] }, schemas),
      {
        allOf: [
          { type: 'object', required: ['tag'], properties: { tag: { type: 'string', enum: ['a', null] } } },
          { example: null },
        ],
        old: true,
      },
    );
  });

  test('~1 and ~0 in a pointer stand for "/" and "~"', () => {
    assert.deepEqual(inlined({ $ref: '#/components/schemas/a~1b~0c' }, { 'a/b~c': { type: 'integer' } }), {
      type: 'integer',
      old: true,
    });
    assert.deepEqual(inlined({ $ref: '#/components/schemas/x~01' }, { 'x~1': { type: 'number' } }), {
      type: 'number',
      old: true,
    });
  });

  test('siblings of a $ref override what it points at, and are inlined too', () => {
    const schemas = { Base: { type: 'object', description: 'base', title: 'B' }, Leaf: { type: 'boolean' } };
    const schema = {
      $ref: '#/components/schemas/Base',
      description: 'own',
      items: { $ref: '#/components/schemas/Leaf' },
    };
    assert.deepEqual(inlined(schema, schemas), {
      type: 'object',
      description: 'own',
      title: 'B',
      items: { type: 'boolean' },
      old: true,
    });
  });

  test('a $ref to an array or to a boolean schema is replaced by it (siblings cannot be merged into those)', () => {
    const schemas = { Open: true, Names: ['a', 'b'] };
    const schema = {
      properties: {
        any: { $ref: '#/components/schemas/Open', description: 'dropped' },
        bare: { $ref: '#/components/schemas/Open' },
      },
      required: { $ref: '#/components/schemas/Names' },
    };
    assert.deepEqual(inlined(schema, schemas), {
      properties: { any: true, bare: true },
      required: ['a', 'b'],
      old: true,
    });
  });

  test('a $ref pointing anywhere in the document, not only at components', () => {
    assert.deepEqual(inlined({ $ref: '#/x-shared/thing' }, {}, { 'x-shared': { thing: { const: 1 } } }), {
      const: 1,
      old: true,
    });
  });
});

describe('what is not inlined', () => {
  test('a cycle keeps its inner $ref (with its siblings)', () => {
    const schemas = {
      Node: {
        type: 'object',
        properties: { child: { $ref: '#/components/schemas/Node', description: 'again' } },
      },
    };
    assert.deepEqual(inlined({ $ref: '#/components/schemas/Node' }, schemas), {
      type: 'object',
      properties: { child: { $ref: '#/components/schemas/Node', description: 'again' } },
      old: true,
    });
  });

  test('the same schema twice side by side is not a cycle: both are inlined', () => {
    const schemas = { Tag: { type: 'string' } };
    const schema = {
      properties: { a: { $ref: '#/components/schemas/Tag' }, b: { $ref: '#/components/schemas/Tag' } },
    };
    assert.deepEqual(inlined(schema, schemas), {
      properties: { a: { type: 'string' }, b: { type: 'string' } },
      old: true,
    });
  });

  test('external references and non-string $ref values stay as they are', () => {
    const schema = {
      properties: {
        file: { $ref: 'common.yaml#/components/schemas/Tag' },
        url: { $ref: 'https://example.com/schemas/tag.json' },
        named: { $ref: 42 },
      },
    };
    assert.deepEqual(inlined(schema, {}), { ...schema, old: true });
  });
});

describe('an unresolvable $ref fails, naming it', () => {
  const cases: [string, string][] = [
    ['a missing schema', '#/components/schemas/Missing'],
    ['below a missing one', '#/components/nothing/Missing'],
    ['through a string value', '#/components/schemas/Tag/type/length'],
  ];
  for (const [name, ref] of cases)
    test(name, () => {
      assert.throws(() => inlined({ $ref: ref }, { Tag: { type: 'string' } }), {
        message: `documentFor: unresolvable $ref ${ref}`,
      });
    });
});
