/** The shared building blocks: abortableSleep, the typed emitter, an empty pipeline. */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { abortableSleep } from './context.ts';
import { createEmitter } from './events.ts';
import { pipeline } from './pipeline.ts';

describe('abortableSleep', () => {
  test('an already aborted signal rejects at once with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('gone');
    controller.abort(reason);
    // already settled: the race sees the rejection before the resolved sentinel behind it
    await assert.rejects(
      Promise.race([abortableSleep(3_600_000, controller.signal), Promise.resolve('pending')]),
      (error) => error === reason,
    );
  });

  test('it resolves after its time and leaves no listener on the signal', async () => {
    const controller = new AbortController();
    assert.equal(await abortableSleep(1, controller.signal), undefined);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('an abort while sleeping rejects with the reason and leaves no listener behind', async () => {
    const controller = new AbortController();
    const sleeping = abortableSleep(3_600_000, controller.signal);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    controller.abort(new Error('caller gave up'));
    await assert.rejects(sleeping, { message: 'caller gave up' });
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});

describe('createEmitter', () => {
  test('listeners get every value until disposed; size counts them', () => {
    const emitter = createEmitter<number>();
    const seen: number[] = [];
    const other: number[] = [];
    const subscription = emitter.event((v) => seen.push(v));
    emitter.event((v) => other.push(v));
    assert.equal(emitter.size, 2);
    emitter.emit(1);
    subscription.dispose();
    assert.equal(emitter.size, 1);
    emitter.emit(2);
    assert.deepEqual(seen, [1]);
    assert.deepEqual(other, [1, 2]);
  });
});

describe('pipeline()', () => {
  test('with no policies it runs the work once with the full context', async () => {
    const signal = new AbortController().signal;
    const seen = await pipeline().execute(async (ctx) => ctx, { signal, deadline: 5000 });
    assert.deepEqual(seen, { signal, deadline: 5000, attempt: 1 });
    const defaults = await pipeline().execute(async (ctx) => ({ ...ctx, signal: ctx.signal.aborted }));
    assert.deepEqual(defaults, { signal: false, deadline: undefined, attempt: 1 });
  });
});
