/**
 * startPgBouncer's failures and stop()'s escalation, with stand-in binaries
 * (shell scripts given as `binary`): one that exits at once, one that never
 * listens, one that listens but ignores SIGTERM. Time is the test's: Date and
 * setTimeout are node:test's mocked timers where a deadline matters.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { eventually } from './eventually.ts';
import { startPgBouncer } from './pgbouncer.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-pgbouncer-test-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const serverUrl = 'postgres://u:p@127.0.0.1:1/x';

/** an executable shell script; `$1` is the config file it is started with */
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

const record = (name: string) => path.join(dir, name);
const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

test('no binary: it says how to install PgBouncer', async () => {
  await assert.rejects(startPgBouncer({ serverUrl, binary: '' }), {
    message: 'pgbouncer is not installed (Debian: apt-get install pgbouncer)',
  });
});

test('a binary that exits: the exit code and its last line of output; its directory is removed', async () => {
  const binary = script(
    'exits.sh',
    `echo "$1" > ${record('exits.config')}\necho "bad config $1" >&2\nexit 3`,
  );
  await assert.rejects(startPgBouncer({ serverUrl, binary }), (error: Error) => {
    assert.match(error.message, /^pgbouncer exited with 3: bad config \/\S+\/pgbouncer\.ini$/);
    return true;
  });
  const config = fs.readFileSync(record('exits.config'), 'utf8').trim();
  assert.equal(path.basename(config), 'pgbouncer.ini');
  assert.equal(fs.existsSync(path.dirname(config)), false);
});

test('a binary that never listens: after startTimeoutMs, the last 4000 characters it wrote; it is killed', async (t) => {
  const binary = script(
    'silent.sh',
    [
      `echo $$ > ${record('silent.pid')}`,
      `echo "$1" > ${record('silent.config')}`,
      `head -c 5000 /dev/zero | tr '\\0' x`,
      `touch ${record('silent.ready')}`,
      'exec sleep 60',
    ].join('\n'),
  );
  const connect = net.connect as (...args: unknown[]) => net.Socket;
  let attempts = 0;
  t.mock.method(net, 'connect', (...args: unknown[]) => {
    attempts++;
    return connect(...args);
  });
  t.mock.timers.enable({ apis: ['Date'], now: 0 }); // setTimeout stays real: the harness retries every 50 ms
  let settled = false;
  const starting = startPgBouncer({ serverUrl, binary, startTimeoutMs: 3000 });
  starting.then(
    () => (settled = true),
    () => (settled = true),
  );
  await eventually(() => fs.existsSync(record('silent.ready')));
  await new Promise(setImmediate); // what it wrote before the file appeared has been read
  t.mock.timers.tick(3000); // at the deadline, not past it: it keeps trying
  const seen = attempts;
  await eventually(() => settled || attempts >= seen + 2);
  assert.equal(settled, false);
  t.mock.timers.tick(1);
  await assert.rejects(starting, (error: Error) => {
    assert.match(error.message, /^pgbouncer did not listen on \d+: x{4000}$/);
    return true;
  });
  const pid = Number(fs.readFileSync(record('silent.pid'), 'utf8'));
  await eventually(() => gone(pid));
  const config = fs.readFileSync(record('silent.config'), 'utf8').trim();
  assert.equal(fs.existsSync(path.dirname(config)), false);
});

test('stop(): a PgBouncer that ignores SIGTERM is killed 5 s later', async (t) => {
  const server = path.join(dir, 'stubborn.mjs');
  fs.writeFileSync(
    server,
    `import fs from 'node:fs';
import net from 'node:net';
const port = Number(/^listen_port = (\\d+)$/m.exec(fs.readFileSync(process.argv[2], 'utf8'))[1]);
fs.writeFileSync(${JSON.stringify(record('stubborn.pid'))}, String(process.pid));
process.on('SIGTERM', () => {});
net.createServer((socket) => socket.end()).listen(port, '127.0.0.1');
`,
  );
  const binary = script('stubborn.sh', `exec ${JSON.stringify(process.execPath)} ${server} "$1"`);
  const bouncer = await startPgBouncer({ serverUrl, binary });
  const pid = Number(fs.readFileSync(record('stubborn.pid'), 'utf8'));
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const stopping = bouncer.stop();
  t.mock.timers.tick(5000);
  await stopping;
  assert.equal(gone(pid), true);
  assert.equal(fs.existsSync(path.dirname(bouncer.configFile)), false);
});
