/**
 * How intake writes the inbox, on real Postgres behind a recording wrapper:
 * the statements by name, one INSERT per delivery with `coalesce: false`, and
 * a group-commit batch that fails — reported to `errors` with the batch size,
 * or, without `errors`, silently — before its deliveries are stored one by one.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { eventually } from '../testing/index.ts';
import {
  type IntakeApp,
  type RecordingDb,
  recordingDb,
  signedHeaders,
  startIntake,
  useInboxDatabase,
} from './intake-harness.ts';

describe('the intake writer', () => {
  const db = useInboxDatabase();

  const deliver = (intake: IntakeApp, id: string) => {
    const body = JSON.stringify({ type: 'charge.succeeded', data: { id } });
    return intake.deliver(body, signedHeaders(body, id));
  };
  const storedIds = async () =>
    (await db.pool.query('SELECT webhook_id FROM webhook_inbox ORDER BY webhook_id')).rows.map(
      (r) => r.webhook_id,
    );
  const inserts = (recording: RecordingDb) => recording.names.filter((n) => n.startsWith('webhooks.'));

  async function start(t: TestContext, options: Parameters<typeof startIntake>[0]) {
    const intake = await startIntake(options);
    t.after(() => intake.app.close());
    return intake;
  }

  /**
   * A batch of three behind a first delivery: the first's INSERT is held until the three have
   * been verified (each reaches the writer synchronously after its verification) and queue
   * behind it (`maxInFlight: 1`); the batch statement is refused.
   */
  async function failedBatchOfThree(intake: IntakeApp, recording: RecordingDb) {
    const release = recording.hold();
    const first = deliver(intake, 'msg-0');
    await eventually(() => recording.waiting() === 1);
    const rest = [deliver(intake, 'msg-1'), deliver(intake, 'msg-2'), deliver(intake, 'msg-3')];
    await eventually(() => intake.verified() === 4);
    recording.refuse('webhooks.intake-batch');
    release();
    const answers = await Promise.all([first, ...rest]);
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      [200, 200, 200, 200],
    );
    assert.deepEqual(await storedIds(), ['msg-0', 'msg-1', 'msg-2', 'msg-3']);
    assert.deepEqual(inserts(recording), [
      'webhooks.intake',
      'webhooks.intake-batch',
      'webhooks.intake',
      'webhooks.intake',
      'webhooks.intake',
    ]);
  }

  test('coalesce: false — every delivery is its own INSERT, all at once', async (t) => {
    const recording = recordingDb(db.pool);
    const intake = await start(t, { db: recording, coalesce: false });
    const release = recording.hold();
    const sent = [deliver(intake, 'msg-a'), deliver(intake, 'msg-b'), deliver(intake, 'msg-c')];
    await eventually(() => recording.waiting() === 3, {
      message: 'three INSERTs in flight together (a coalescer would queue them)',
    });
    release();
    assert.deepEqual(
      (await Promise.all(sent)).map((a) => a.statusCode),
      [200, 200, 200],
    );
    assert.deepEqual(inserts(recording), ['webhooks.intake', 'webhooks.intake', 'webhooks.intake']);
    assert.deepEqual(await storedIds(), ['msg-a', 'msg-b', 'msg-c']);
  });

  test('a batch statement that fails is reported with its size, then each delivery is stored alone', async (t) => {
    const recording = recordingDb(db.pool);
    const reported: [string, string, unknown][] = [];
    const intake = await start(t, {
      db: recording,
      coalesce: { maxInFlight: 1 },
      errors: {
        report: (component, error, context) =>
          void reported.push([component, error instanceof Error ? error.message : String(error), context]),
      },
    });
    await failedBatchOfThree(intake, recording);
    assert.deepEqual(reported, [['webhook-intake-batch', 'refused by the test', { size: 3 }]]);
  });

  test('without errors, a failed batch is retried alone and warns nothing', async (t) => {
    const warnings = t.mock.method(process, 'emitWarning');
    const recording = recordingDb(db.pool);
    const intake = await start(t, { db: recording, coalesce: { maxInFlight: 1 } });
    await failedBatchOfThree(intake, recording);
    assert.deepEqual(
      warnings.mock.calls.map((c) => String(c.arguments[0])),
      [],
      'no coalescer hook failed',
    );
  });
});
