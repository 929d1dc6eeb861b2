/**
 * `npm test`: every test file on one embedded Postgres. Node 24 runs the
 * setup through `--test-global-setup`; Node 22 has no such flag, so this
 * script runs the same setup around `node --test` itself.
 */
import { spawnSync } from 'node:child_process';
import { globalSetup, globalTeardown } from './global-setup.ts';

const native = process.allowedNodeEnvironmentFlags.has('--test-global-setup');
const args = [
  '--test',
  '--test-reporter=spec',
  '--test-timeout=120000', // a hang fails the run instead of stalling CI
  ...(native ? ['--test-global-setup=test/global-setup.ts'] : []),
  'test/*.test.ts',
];
console.log(
  `node ${process.version}: node ${args.join(' ')}${native ? '' : ' (global setup run by test/run.ts)'}`,
);
if (!native) {
  await globalSetup();
  process.on('SIGINT', () => {}); // Ctrl-C stops the test run (our child); we then stop Postgres
}
try {
  const cwd = new URL('..', import.meta.url).pathname;
  const { status, error } = spawnSync(process.execPath, args, { stdio: 'inherit', cwd });
  if (error) throw error;
  process.exitCode = status ?? 1;
} finally {
  if (!native) await globalTeardown();
}
