/**
 * The small helpers: eventually's deadline and polling interval (on node:test's
 * mocked Date and setTimeout), the fake clock's set(), the log capture over
 * several writes, and the contract checker without its optional peer dependency.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { type TestContext, test } from 'node:test';
import { eventually } from './eventually.ts';
import { createFakeClock } from './fake-clock.ts';
import { createLogCapture } from './log-capture.ts';

/** a probe that never holds: how often it ran, and the mocked time and error when eventually gave up */
async function giveUp(t: TestContext, options: Parameters<typeof eventually>[1]) {
  t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 0 });
  let probes = 0;
  let outcome: { at: number; error: Error } | undefined;
  eventually(() => {
    probes++;
    return false;
  }, options).catch((error: Error) => {
    outcome = { at: Date.now(), error };
  });
  for (let step = 0; step < 2000 && !outcome; step++) {
    await new Promise(setImmediate);
    t.mock.timers.tick(10);
  }
  return { probes, ...outcome };
}

test('eventually probes every intervalMs and gives up on the first probe past timeoutMs', async (t) => {
  const { probes, at, error } = await giveUp(t, { timeoutMs: 100, intervalMs: 10, message: 'late' });
  assert.equal(error?.message, 'late');
  assert.equal(at, 110); // the probe at 100 ms is still in time
  assert.equal(probes, 12);
});

test('eventually by default probes every 20 ms for 5 s', async (t) => {
  const { probes, at, error } = await giveUp(t, {});
  assert.equal(error?.message, 'condition not met before the deadline');
  assert.equal(at, 5020);
  assert.equal(probes, 252);
});

test('a fake clock can be set to any time', () => {
  const clock = createFakeClock();
  assert.equal(clock.now(), Date.UTC(2026, 0, 1));
  clock.set(Date.UTC(2030, 5, 1));
  assert.equal(clock.now(), Date.UTC(2030, 5, 1));
  clock.advance(1);
  assert.equal(clock.now(), Date.UTC(2030, 5, 1) + 1);
});

test('the log capture keeps every write, also lines split over writes', () => {
  const logs = createLogCapture();
  for (const chunk of ['{"msg":"one"}\n{"msg":', '"two"}\n', '{"msg":"three"}\n']) logs.stream.write(chunk);
  assert.equal(logs.text(), '{"msg":"one"}\n{"msg":"two"}\n{"msg":"three"}\n');
  assert.deepEqual(logs.lines(), [{ msg: 'one' }, { msg: 'two' }, { msg: 'three' }]);
});

test('without @steadfast/check the contract checker says which package to install', () => {
  const child = `
import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === '@steadfast/check/openapi') throw new Error('not installed here');
    return next(specifier, context);
  },
});
const { createContractChecker } = await import(${JSON.stringify(new URL('./contract.ts', import.meta.url).href)});
await createContractChecker({}).then(() => console.log('resolved'), (error) => console.log(error.message));
`;
  // without NODE_TEST_CONTEXT: with it the child would report to this runner
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', child], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.stderr, '');
  assert.equal(
    run.stdout,
    'createContractChecker needs the optional peer dependency @steadfast/check (npm install --save-dev @steadfast/check): not installed here\n',
  );
});
