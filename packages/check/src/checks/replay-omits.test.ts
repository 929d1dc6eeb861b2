/** x-replay-omits: a replay may drop or null the members the document names (a secret shown once), nothing else. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameAnswer } from './replay-omits.ts';

test('bodies equal byte for byte, or equal without the members the document says a replay omits', () => {
  const first = '{"id":"key_1","apiKey":"sk_secret","secretOmitted":null,"name":"ci"}';
  const replay = '{"id":"key_1","apiKey":null,"secretOmitted":"shown once","name":"ci"}';
  assert.equal(sameAnswer(first, first, []), true);
  assert.equal(sameAnswer(first, replay, []), false, 'without the extension, any difference fails');
  assert.equal(sameAnswer(first, replay, ['apiKey', 'secretOmitted']), true);
  assert.equal(
    sameAnswer(first, replay.replace('"name":"ci"', '"name":"other"'), ['apiKey', 'secretOmitted']),
    false,
    'another member that differs still fails',
  );
  assert.equal(sameAnswer('not json', 'also not', ['apiKey']), false);
  const rotated = '{"created":{"id":"k2","apiKey":"sk_new","secretOmitted":null},"previous":{"id":"k1"}}';
  const rotatedReplay =
    '{"created":{"id":"k2","apiKey":null,"secretOmitted":"shown once"},"previous":{"id":"k1"}}';
  assert.equal(sameAnswer(rotated, rotatedReplay, ['/created/apiKey', '/created/secretOmitted']), true);
  assert.equal(
    sameAnswer(rotated, rotatedReplay, ['/apiKey', '/secretOmitted']),
    false,
    'the pointer must name the member',
  );
});
