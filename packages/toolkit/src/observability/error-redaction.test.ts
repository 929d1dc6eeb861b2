/**
 * The err serializer on hand-made Postgres-shaped errors (no database): what
 * counts as a pg error, the safe message per class, the stack reduced to its
 * frames, the fields kept, pg causes of pg errors, and the 10-deep chain limit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPgError, safePgMessage, serializeError } from './error-serializer.ts';

type Pg = Parameters<typeof safePgMessage>[0];
const pg = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), {
    severity: 'ERROR',
    routine: 'exec_stmt_raise',
    code,
    ...extra,
  }) as unknown as Pg;
const plain = (value: object) => Object.fromEntries(Object.entries(value));

describe('isPgError', () => {
  test('an Error with a five-character SQLSTATE, a severity and a routine', () => {
    assert.equal(isPgError(pg('23505', 'dup')), true);
    assert.equal(isPgError(pg('P0001', 'raised')), true);
    const notError = { code: '23505', severity: 'ERROR', routine: 'r', message: 'm' };
    assert.equal(isPgError(notError), false, 'not an Error');
    assert.equal(isPgError('23505'), false);
    assert.equal(isPgError(undefined), false);
    assert.equal(isPgError(Object.assign(new Error('m'), { code: '23505', severity: 'ERROR' })), false);
    assert.equal(isPgError(Object.assign(new Error('m'), { code: '23505', routine: 'r' })), false);
    assert.equal(isPgError(Object.assign(new Error('m'), { severity: 'E', routine: 'r' })), false);
    assert.equal(isPgError(pg('ECONNREFUSED', 'refused')), false);
    assert.equal(isPgError(Object.assign(pg('x', 'm'), { code: 23505 })), false, 'a number');
    for (const code of ['a23505', '235050', '2350', '23505 ', 'p0001'])
      assert.equal(isPgError(pg(code, 'm')), false, code);
  });
});

describe('safePgMessage', () => {
  test('class P0: a fixed text with the code; class 22: the part before the first colon; others: as is', () => {
    assert.equal(
      safePgMessage(pg('P0001', 'bad value secret')),
      'an exception raised by a database function (P0001)',
    );
    assert.equal(
      safePgMessage(pg('22P02', 'invalid input syntax for type integer: "secret"')),
      'invalid input syntax for type integer',
    );
    assert.equal(safePgMessage(pg('22003', 'value out of range')), 'value out of range', 'no colon: all');
    assert.equal(safePgMessage(pg('22003', ': secret')), '', 'a colon first: nothing');
    assert.equal(safePgMessage(pg('23505', 'duplicate key: a')), 'duplicate key: a');
    assert.equal(safePgMessage(pg('42P01', 'relation "x" does not exist')), 'relation "x" does not exist');
  });
});

describe('serializeError', () => {
  test('a pg error: type and name DatabaseError, only the stack frames, only the kept fields that are set', () => {
    const error = pg('22P02', 'invalid input syntax for type integer: "secret"', {
      constraint: 'c1',
      detail: 'secret',
      hint: 'secret',
      where: 'secret',
      schema: undefined,
    });
    error.stack = [
      'error: invalid input syntax for type integer: "secret"',
      '    at parse (pg.js:1:1)',
      'Key (email)=(secret) at home',
      '\tat run (pool.js:2:2)',
    ].join('\n');
    const out = serializeError(error);
    assert.deepEqual(plain(out), {
      type: 'DatabaseError',
      message: 'invalid input syntax for type integer',
      stack:
        'DatabaseError: invalid input syntax for type integer\n    at parse (pg.js:1:1)\n\tat run (pool.js:2:2)',
      name: 'DatabaseError',
      code: '22P02',
      severity: 'ERROR',
      constraint: 'c1',
      routine: 'exec_stmt_raise',
    });
  });

  test('a pg error without a stack keeps only its first line', () => {
    const error = pg('23505', 'dup');
    Object.defineProperty(error, 'stack', { value: undefined });
    assert.equal(serializeError(error).stack, 'DatabaseError: dup\n');
  });

  test('a pg error caused by a pg error: both redacted, in order', () => {
    const inner = pg('22P02', 'bad: "secret"');
    inner.stack = 'error: bad: "secret"\n    at i (i.js:1:1)';
    const outer = pg('23505', 'outer', { cause: inner });
    outer.stack = 'error: outer\n    at o (o.js:1:1)';
    const out = serializeError(outer);
    assert.equal(out.message, 'outer: bad');
    assert.equal(
      out.stack,
      'DatabaseError: outer\n    at o (o.js:1:1)\ncaused by: DatabaseError: bad\n    at i (i.js:1:1)',
    );
  });

  test('a wrapper without a stack gets an empty one, its pg cause following', () => {
    const cause = pg('23505', 'dup');
    cause.stack = 'error: dup\n    at q (q.js:1:1)';
    const wrapper = new Error('saving failed', { cause });
    Object.defineProperty(wrapper, 'stack', { value: undefined });
    const out = serializeError(wrapper);
    assert.equal(out.message, 'saving failed: dup');
    assert.equal(out.stack, '\ncaused by: DatabaseError: dup\n    at q (q.js:1:1)');
  });

  test('an error with no pg error in its chain is serialized exactly as pino does', () => {
    const error = new TypeError('plain');
    assert.deepEqual(plain(serializeError(error)), {
      type: 'TypeError',
      message: 'plain',
      stack: error.stack,
    });
  });

  test('the cause chain is followed 10 deep: a pg error at depth 10 is redacted, one deeper is not looked at', () => {
    const wrapped = (depth: number, bottom: Error) => {
      let e = bottom;
      for (let i = 0; i < depth; i++) e = new Error(`w${i}`, { cause: e });
      return e;
    };
    assert.doesNotMatch(JSON.stringify(serializeError(wrapped(9, pg('22P02', 'bad: SECRET')))), /SECRET/);
    assert.match(JSON.stringify(serializeError(wrapped(10, pg('22P02', 'bad: SECRET')))), /SECRET/);
  });

  test('a pg error that is its own cause ends', () => {
    const error = pg('23505', 'dup');
    error.stack = 'error: dup\n    at c (c.js:1:1)';
    error.cause = error;
    assert.equal(serializeError(error).code, '23505');
  });
});
