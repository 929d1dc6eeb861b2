/**
 * The webhook receiver checks (group `webhooks`): a valid delivery is acked
 * fast; forged, tampered, stale and future ones are refused (and, with an
 * effect URL, leave no trace); a duplicate is accepted and processed once;
 * several signatures in one header (a rotation) verify; an older event
 * delivered after a newer one does not move state backwards.
 */
import type { CheckResult, CheckStatus } from '../context.ts';
import { seededRandom } from '../fault-proxy/schedule.ts';
import {
  DEFAULT_TEMPLATE,
  type Delivery,
  deliver,
  type EventTemplate,
  effectReader,
  fill,
  occurrences,
  type Sent,
  signed,
} from './deliveries.ts';
import { randomId, randomSecret } from './sign.ts';

export interface WebhookCheckOptions {
  url: string;
  secret: string;
  template?: EventTemplate;
  /** a URL showing the receiver's effects (GET, JSON or text); enables the duplicate and ordering checks */
  effectUrl?: string;
  /** sent as Bearer to the effect URL */
  effectApiKey?: string;
  /** a valid delivery must be acked within this (default 2000 ms) */
  maxAckMs?: number;
  /** how long an effect may take to show (default 10 s) */
  effectTimeoutMs?: number;
  seed?: number;
}

export class ReceiverUnreachable extends Error {
  override name = 'ReceiverUnreachable';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runWebhookChecks(
  options: WebhookCheckOptions,
): Promise<{ checks: CheckResult[]; requests: number }> {
  const random = seededRandom(options.seed ?? 1);
  const template = options.template ?? DEFAULT_TEMPLATE;
  const maxAckMs = options.maxAckMs ?? 2000;
  const effectTimeoutMs = options.effectTimeoutMs ?? 10_000;
  const operation = `POST ${new URL(options.url).pathname}`;
  const checks: CheckResult[] = [];
  let requests = 0;
  const report = (id: string, status: CheckStatus, detail: string, evidence: Sent[] = []) =>
    checks.push({
      id: `webhooks.${id}`,
      group: 'webhooks',
      operation,
      status,
      detail,
      evidence: evidence.map((s) => s.exchange),
    });
  const event = (sequence = 1, subject = randomId(random, 'chk_subject_')) => {
    const marker = randomId(random, 'chk_marker_');
    return { marker, body: JSON.stringify(fill(template, { subject, sequence, marker })) };
  };
  const nowS = () => Math.floor(Date.now() / 1000);
  const make = (
    e: { marker: string; body: string },
    secret = options.secret,
    timestampS = nowS(),
    id = randomId(random),
  ) => signed(secret, id, timestampS, e.body, e.marker);
  const send = async (d: Delivery) => {
    requests++;
    const sent = await deliver(options.url, d, Math.max(maxAckMs * 5, 10_000));
    if (sent.error && requests === 1)
      throw new ReceiverUnreachable(`cannot reach ${options.url} (${sent.error})`);
    return sent;
  };
  const read = options.effectUrl ? effectReader(options.effectUrl, options.effectApiKey) : undefined;
  const effect = async () => {
    requests++;
    return (read as () => Promise<string>)();
  };
  const seen = (text: string, d: Delivery) => occurrences(text, d.id) + occurrences(text, d.marker);
  /** poll the effect URL until `done` or the deadline; the last body */
  const until = async (done: (text: string) => boolean, withinMs: number) => {
    const deadline = Date.now() + withinMs;
    let text = await effect();
    while (!done(text) && Date.now() < deadline) {
      await sleep(100);
      text = await effect();
    }
    return text;
  };
  const ok = (s: Sent) => s.status !== undefined && s.status >= 200 && s.status < 300;
  const what = (s: Sent) => (s.status === undefined ? `no answer (${s.error})` : `${s.status}`);

  // valid → 2xx, fast
  const valid = make(event());
  const validSent = await send(valid);
  const fast = ok(validSent) && validSent.ackMs <= maxAckMs;
  report(
    'valid-ack',
    fast ? 'passed' : 'failed',
    `a correctly signed delivery → ${what(validSent)} in ${validSent.ackMs} ms (max ${maxAckMs} ms)`,
    [validSent],
  );

  // refused: forged, tampered, stale, future
  const refusedMarkers: { id: string; sent: Sent }[] = [];
  const forged = await send(make(event(), randomSecret(random)));
  const original = event();
  const tamperedEvent = event();
  const signedOriginal = make(original);
  const tampered = await send({ ...signedOriginal, body: tamperedEvent.body, marker: tamperedEvent.marker });
  const stale = await send(make(event(), options.secret, nowS() - 600));
  const future = await send(make(event(), options.secret, nowS() + 600));
  for (const [id, sent, why] of [
    ['forged', forged, 'signed with a secret the receiver does not have'],
    ['tampered', tampered, 'body changed after signing'],
    ['stale', stale, 'timestamp 10 minutes old'],
    ['future', future, 'timestamp 10 minutes ahead'],
  ] as const) {
    const refused = sent.status !== undefined && sent.status >= 400 && sent.status < 500;
    report(
      id,
      refused ? 'passed' : 'failed',
      `${why} → ${what(sent)}${refused ? '' : ' (a 4xx refusal expected)'}`,
      [sent],
    );
    refusedMarkers.push({ id, sent });
  }

  // rotation: an unknown signature first, then the receiver's own, in one header
  const rotatedDelivery = make(event());
  rotatedDelivery.signature = `${make({ marker: '', body: rotatedDelivery.body }, randomSecret(random), rotatedDelivery.timestampS, rotatedDelivery.id).signature} ${rotatedDelivery.signature}`;
  const rotated = await send(rotatedDelivery);
  report(
    'rotated',
    ok(rotated) ? 'passed' : 'failed',
    `two signatures (an old secret's, then the current one) → ${what(rotated)}`,
    [rotated],
  );

  // duplicate: the same webhook-id and body, re-signed later, as a sender's retry
  const before =
    read && ok(validSent) ? seen(await until((t) => seen(t, valid) > 0, effectTimeoutMs), valid) : 0;
  const again = make({ marker: valid.marker, body: valid.body }, options.secret, nowS(), valid.id);
  const dup = await send(again);
  if (!ok(dup))
    report('duplicate', 'failed', `a redelivery of an accepted event → ${what(dup)} (2xx expected)`, [
      validSent,
      dup,
    ]);
  else if (!read)
    report(
      'duplicate',
      'skipped',
      `redelivery accepted (${dup.status}); processed once? needs --effect-url`,
      [dup],
    );
  else if (before === 0)
    report(
      'duplicate',
      'skipped',
      `the effect URL never showed the event (its webhook-id ${valid.id} or marker ${valid.marker})`,
      [dup],
    );
  else {
    const after = await until((t) => seen(t, valid) > before, 1500);
    const grew = seen(after, valid) > before;
    report(
      'duplicate',
      grew ? 'failed' : 'passed',
      grew
        ? `the redelivery of ${valid.id} was processed again: it shows ${seen(after, valid)} times in the effect URL, ${before} before`
        : `redelivery accepted (${dup.status}) and processed once`,
      [validSent, dup],
    );
  }

  // out of order: the newer event first, then the older one about the same subject
  if (!read) report('out-of-order', 'skipped', 'needs --effect-url (to see the state the events leave)');
  else {
    const subject = randomId(random, 'chk_subject_');
    const newer = make(event(2, subject));
    const older = make(event(1, subject));
    const newerSent = await send(newer);
    const shown = await until((t) => occurrences(t, newer.marker) > 0, effectTimeoutMs);
    if (!ok(newerSent) || occurrences(shown, newer.marker) === 0)
      report(
        'out-of-order',
        'skipped',
        `the effect URL never showed the newer event's marker ${newer.marker}`,
        [newerSent],
      );
    else {
      const olderSent = await send(older);
      await until((t) => seen(t, older) > 0, 1500);
      const after = await effect();
      const kept = occurrences(after, newer.marker) > 0;
      report(
        'out-of-order',
        kept ? 'passed' : 'failed',
        kept
          ? `sequence 2 then 1 for one subject: the state still shows sequence 2 (${older.id} answered ${what(olderSent)})`
          : `sequence 2 then 1 for one subject: the newer state (marker ${newer.marker}) is gone after the older event`,
        [newerSent, olderSent],
      );
    }
  }

  // refused deliveries leave no trace
  if (read) {
    const text = await effect();
    for (const { id, sent } of refusedMarkers) {
      if (seen(text, sent.delivery) === 0) continue;
      const check = checks.find((c) => c.id === `webhooks.${id}`) as CheckResult;
      check.status = 'failed';
      check.detail += `; yet it shows in the effect URL (processed although refused or accepted)`;
    }
  }
  return { checks, requests };
}
