import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FLAGS, parseFlags, usage } from './flags.ts';

test('no flags: the defaults (a 2-minute run, 3 web and 2 worker processes)', () => {
  assert.deepEqual(parseFlags([]), { ok: true, flags: DEFAULT_FLAGS });
  assert.equal(DEFAULT_FLAGS.durationS, 120);
  assert.equal(DEFAULT_FLAGS.webs, 3);
  assert.equal(DEFAULT_FLAGS.workers, 2);
});

test('flags as --name value and --name=value', () => {
  const parsed = parseFlags([
    '--duration',
    '600',
    '--kill-every=0',
    '--pg-restart',
    'fast',
    '--partner-5xx',
    '0.5',
  ]);
  assert.ok(parsed.ok);
  assert.equal(parsed.flags.durationS, 600);
  assert.equal(parsed.flags.killEveryS, 0);
  assert.equal(parsed.flags.pgRestart, 'fast');
  assert.equal(parsed.flags.partner5xx, 0.5);
  assert.equal(parsed.flags.clients, DEFAULT_FLAGS.clients, 'the others keep their defaults');
});

test('out of range, malformed, unknown or missing values are errors naming the flag', () => {
  for (const args of [
    ['--duration', '5'],
    ['--duration', '3601'],
    ['--duration', '12.5'],
    ['--duration', 'abc'],
    ['--kill-every', '1'],
    ['--partner-5xx', '1.5'],
    ['--partner-5xx', ''],
    ['--webs', '0'],
    ['--pg-restart', 'slow'],
    ['--prefer-wait', 'yes'],
    ['--duration'],
    ['--nope', '1'],
  ]) {
    const parsed = parseFlags(args);
    assert.equal(parsed.ok, false, args.join(' '));
    if (!parsed.ok) {
      assert.equal(parsed.help, false);
      assert.match(String(parsed.error), new RegExp(args[0]), args.join(' '));
    }
  }
});

test('--help asks for the usage, which lists every flag with its default', () => {
  assert.deepEqual(parseFlags(['--duration', '60', '--help']), { ok: false, help: true });
  const text = usage();
  for (const flag of ['--duration', '--kill-every', '--pg-restart', '--db-latency-ms', '--webhook-drop'])
    assert.match(text, new RegExp(`${flag} .*\\(default `));
});
