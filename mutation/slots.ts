/**
 * One cluster per parallel worker. At `--concurrency N` run.ts starts N
 * clusters; each test-block process claims a free one and runs its tests
 * there only, so dropping what a timed-out mutant left on its cluster cannot
 * touch another worker's databases.
 *
 * The claim is a session advisory lock on the cluster's `postgres` database,
 * held for the whole test run: a mutant killed at its timeout (SIGKILL)
 * closes its connection and Postgres releases the lock, so no claim outlives
 * its process.
 */
import pg from 'pg';

export const SERVERS_ENV = 'STEADFAST_MUTATION_SERVERS';
const SLOT_LOCK = 0x5f5f_0021;

export interface Slot {
  url: string;
  release(): Promise<void>;
}

/** Claims the first cluster no live test run holds, waiting while all are held. */
export async function claimSlot(urls: string[], retryMs = 100): Promise<Slot> {
  for (;;) {
    for (const url of urls) {
      const client = new pg.Client({ connectionString: url });
      // the cluster going away mid-run fails the tests anyway; say why instead of crashing on the event
      client.on('error', (error) =>
        console.error(`mutation: slot connection to ${url} failed: ${error.message}`),
      );
      await client.connect();
      const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [
        SLOT_LOCK,
      ]);
      if (rows[0].held) return { url, release: () => client.end() };
      await client.end();
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}
