/**
 * recordingErrors: each report kept in order as component, the error's message
 * and the context given; no context key when none was given.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordingErrors } from './index.ts';

test('keeps each report in order: component, message, and the context only when given', () => {
  const errors = recordingErrors();
  errors.report('outbox-dispatch', new Error('partner down'), { batch: 3 });
  errors.report('lineage', new Error('insert failed'));
  assert.deepEqual(errors.seen, [
    { component: 'outbox-dispatch', message: 'partner down', context: { batch: 3 } },
    { component: 'lineage', message: 'insert failed' },
  ]);
  assert.equal(Object.hasOwn(errors.seen[1], 'context'), false);
});
