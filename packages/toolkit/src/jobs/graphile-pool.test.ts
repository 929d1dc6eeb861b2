/**
 * The pool graphile-worker gets: every "database unavailable" error of its
 * connects and statements reaches it as 57P03 (the original as the cause);
 * other errors, and 57P03 itself, pass unchanged; everything else of the pool
 * and its clients is the real thing, bound to it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pool, PoolClient } from '../postgres/index.ts';
import { poolForGraphileWorker } from './graphile-pool.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

/** a client whose own methods need their real `this` (a private field) */
class FakeClient {
  #released = 0;
  processID = 4242;
  readonly answer: () => unknown;
  constructor(answer: () => unknown) {
    this.answer = answer;
  }
  query(..._args: unknown[]): unknown {
    return this.answer();
  }
  release(): number {
    this.#released++;
    return this.#released;
  }
}

type Connect = (cb?: (error: Error | undefined, client?: PoolClient, done?: () => void) => void) => unknown;

class FakePool {
  #ended = false;
  totalCount = 3;
  readonly connect: Connect;
  constructor(connect: Connect) {
    this.connect = connect;
  }
  end(): boolean {
    this.#ended = true;
    return this.#ended;
  }
}

const asPool = (fake: FakePool) => poolForGraphileWorker(fake as unknown as Pool);
const clientAnswering = (answer: () => unknown) => new FakeClient(answer) as unknown as PoolClient;
const resolving = (client: PoolClient) => new FakePool(() => Promise.resolve(client));
const rejecting = (error: unknown) => new FakePool(() => Promise.reject(error));

describe('poolForGraphileWorker', () => {
  test('a connect refused reaches graphile-worker as 57P03, the original as its cause', async () => {
    const refused = withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
    const error = await asPool(rejecting(refused))
      .connect()
      .then(
        () => assert.fail('connect resolved'),
        (e: unknown) => e as Error & { code?: string },
      );
    assert.ok(error instanceof Error);
    assert.equal(error.message, 'database unavailable: connect ECONNREFUSED 127.0.0.1:5432');
    assert.equal(error.code, '57P03');
    assert.equal(error.cause, refused);
  });

  test('57P03 itself and errors that are not an outage pass unchanged', async () => {
    const startingUp = withCode('the database system is starting up', '57P03');
    const duplicate = withCode('duplicate key value violates unique constraint', '23505');
    for (const original of [startingUp, duplicate]) {
      const error = await asPool(rejecting(original))
        .connect()
        .then(
          () => assert.fail('connect resolved'),
          (e: unknown) => e,
        );
      assert.equal(error, original);
    }
  });

  test('a statement cut off on a client reaches it as 57P03; other answers are the real ones', async () => {
    const reset = withCode('read ECONNRESET', 'ECONNRESET');
    const client = await asPool(resolving(clientAnswering(() => Promise.reject(reset)))).connect();
    await assert.rejects(client.query('SELECT 1'), (error: Error & { code?: string }) => {
      assert.equal(error.message, 'database unavailable: read ECONNRESET');
      assert.equal(error.code, '57P03');
      assert.equal(error.cause, reset);
      return true;
    });

    const answered = await asPool(
      resolving(clientAnswering(() => Promise.resolve({ rows: [{ n: 1 }] }))),
    ).connect();
    assert.deepEqual(await answered.query('SELECT 1'), { rows: [{ n: 1 }] });
    const notAPromise = await asPool(resolving(clientAnswering(() => 'submitted'))).connect();
    assert.equal(notAPromise.query('SELECT 1') as unknown, 'submitted');
  });

  test('a client’s other methods run on the real client', async () => {
    const client = await asPool(resolving(clientAnswering(() => Promise.resolve()))).connect();
    assert.equal((client as unknown as FakeClient).release(), 1);
    assert.equal((client as unknown as FakeClient).release(), 2);
    assert.equal((client as unknown as FakeClient).processID, 4242);
  });

  test('the pool’s other members are the real pool’s', () => {
    const pool = asPool(resolving(clientAnswering(() => undefined)));
    assert.equal((pool as unknown as FakePool).end(), true);
    assert.equal(pool.totalCount, 3);
  });

  test('connect with a callback: the error as 57P03, no client', () => {
    const refused = withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
    const done = () => {};
    const fake = new FakePool((cb) => cb?.(refused, undefined, done));
    const calls: unknown[][] = [];
    const returned = asPool(fake).connect(((...args: unknown[]) => calls.push(args)) as never);
    assert.equal(returned, undefined);
    assert.equal(calls.length, 1);
    const [error, client, passedDone] = calls[0] as [Error & { code?: string }, unknown, unknown];
    assert.equal(error.message, 'database unavailable: connect ECONNREFUSED 127.0.0.1:5432');
    assert.equal(error.code, '57P03');
    assert.equal(error.cause, refused);
    assert.equal(client, undefined);
    assert.equal(passedDone, done);
  });

  test('connect with a callback: no error, a client whose statements are wrapped', async () => {
    const reset = withCode('read ECONNRESET', 'ECONNRESET');
    const done = () => {};
    const real = clientAnswering(() => Promise.reject(reset));
    const fake = new FakePool((cb) => cb?.(undefined, real, done));
    const calls: unknown[][] = [];
    asPool(fake).connect(((...args: unknown[]) => calls.push(args)) as never);
    assert.equal(calls.length, 1);
    const [error, client, passedDone] = calls[0] as [unknown, PoolClient, unknown];
    assert.equal(error, undefined);
    assert.equal(passedDone, done);
    await assert.rejects(client.query('SELECT 1'), {
      message: 'database unavailable: read ECONNRESET',
      code: '57P03',
    });
  });
});
