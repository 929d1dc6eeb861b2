/** The webhook checks against the fake receiver: each fault is caught by its check only; the correct one passes. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { type ReceiverFault, startFakeWebhookReceiver } from '../testing/fake-webhook-receiver.ts';
import { runWebhookChecks } from './checks.ts';
import { runWebhooksCommand } from './command.ts';
import { sign } from './sign.ts';

const secret = `whsec_${Buffer.from('fake-receiver-secret-0123456789ab').toString('base64')}`;

async function against(fault?: ReceiverFault, withEffects = true) {
  const receiver = await startFakeWebhookReceiver({ secret, fault });
  try {
    const { checks } = await runWebhookChecks({
      url: receiver.url,
      secret,
      effectUrl: withEffects ? receiver.effectUrl : undefined,
      effectTimeoutMs: 2000,
    });
    return checks;
  } finally {
    await receiver.close();
  }
}

describe('webhook receiver checks', { concurrency: true }, () => {
  test('the correct receiver passes all eight checks', async () => {
    const checks = await against();
    assert.deepEqual(
      checks.filter((c) => c.status !== 'passed').map((c) => `${c.id} ${c.status}: ${c.detail}`),
      [],
    );
    assert.equal(checks.length, 8);
  });

  test('without --effect-url the duplicate and ordering checks are skipped with a reason', async () => {
    const checks = await against(undefined, false);
    assert.deepEqual(
      checks.filter((c) => c.status === 'skipped').map((c) => c.id),
      ['webhooks.duplicate', 'webhooks.out-of-order'],
    );
    assert.ok(checks.every((c) => c.status !== 'skipped' || /--effect-url/.test(c.detail)));
  });

  const expectations: [ReceiverFault, string[]][] = [
    ['accepts-forged', ['webhooks.forged', 'webhooks.tampered']],
    ['accepts-stale', ['webhooks.stale', 'webhooks.future']],
    ['processes-duplicates', ['webhooks.duplicate']],
    ['rejects-rotated', ['webhooks.rotated']],
    ['moves-backwards', ['webhooks.out-of-order']],
  ];
  for (const [fault, expected] of expectations)
    test(`${fault} → ${expected.join(', ')} fail, with evidence`, async () => {
      const checks = await against(fault);
      const failed = checks.filter((c) => c.status === 'failed');
      assert.deepEqual(
        failed.map((c) => c.id),
        expected,
        checks.map((c) => `${c.id} ${c.status}: ${c.detail}`).join('\n'),
      );
      for (const c of failed) assert.ok(c.evidence.length > 0, `${c.id} has evidence`);
    });

  test('the signature is Standard Webhooks: HMAC-SHA256 of id.timestamp.body, base64, v1 prefix', () => {
    // the example of the Standard Webhooks specification's reference libraries
    const example = sign(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    assert.equal(example, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});

describe('steadfast-check webhooks (the command)', () => {
  test('--help prints the options and exits 0; bad usage exits 2', async () => {
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t) };
    const run = (args: string[]) => runWebhooksCommand(args, 'steadfast-check', io);
    assert.equal(await run(['--help']), 0);
    assert.match(out.join(''), /--effect-url/);
    out.length = 0;
    assert.equal(await run(['http://127.0.0.1:9/hook']), 2);
    assert.match(out.join(''), /--secret whsec_\.\.\. is required/);
    assert.equal(await run(['http://127.0.0.1:9/hook', '--secret', 'nope']), 2);
    assert.equal(await run(['not-a-url', '--secret', secret]), 2);
    assert.equal(await run(['http://127.0.0.1:9/hook', '--secret', secret, '--bogus']), 2);
    out.length = 0;
    // a port nothing listens on: unreachable is exit 2 with one line
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    assert.equal(await run([`http://127.0.0.1:${port}/hook`, '--secret', secret]), 2);
    assert.equal(out.join('').trim().split('\n').length, 1);
    assert.match(out.join(''), /cannot reach/);
  });

  test('a run against the correct receiver exits 0 and writes JSON; with a template too; a faulty one exits 1', async () => {
    const receiver = await startFakeWebhookReceiver({ secret });
    const faulty = await startFakeWebhookReceiver({ secret, fault: 'accepts-forged' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-check-'));
    const template = path.join(dir, 'event.json');
    fs.writeFileSync(
      template,
      JSON.stringify({
        type: 'order.paid',
        data: { subject: '{{subject}}', sequence: '{{sequence}}', marker: '{{marker}}' },
      }),
    );
    const io = { stdout: () => {}, stderr: () => {} };
    try {
      const json = path.join(dir, 'report.json');
      const args = ['--secret', secret, '--effect-url', receiver.effectUrl, '--json', json];
      assert.equal(
        await runWebhooksCommand([receiver.url, ...args, '--template', template], 'steadfast-check', io),
        0,
      );
      const report = JSON.parse(fs.readFileSync(json, 'utf8'));
      assert.equal(report.checks.length, 8);
      assert.equal(await runWebhooksCommand([faulty.url, '--secret', secret], 'steadfast-check', io), 1);
    } finally {
      await receiver.close();
      await faulty.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
