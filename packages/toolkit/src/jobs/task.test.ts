/** A task's permanent error is named as such; userPayload strips the fields the runner owns. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PermanentJobError, userPayload } from './task.ts';

test('PermanentJobError is an Error named PermanentJobError', () => {
  const error = new PermanentJobError('not a CSV');
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'PermanentJobError');
  assert.equal(String(error), 'PermanentJobError: not a CSV');
});

test('userPayload keeps the task’s own fields only', () => {
  assert.deepEqual(
    userPayload({
      fileId: 'f1',
      __attempt: 2,
      __key: 'k',
      __firstFailedAt: '2026-12-01T10:00:00.000Z',
      __traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    }),
    { fileId: 'f1' },
  );
});
