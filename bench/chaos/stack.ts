/**
 * Everything a chaos run runs, started in order and stopped in reverse:
 * Postgres (a drill cluster of its own, or DATABASE_URL), the latency proxy in
 * front of it, PgBouncer in transaction mode through the proxy, `steadfast
 * migrate`, then the sandbox, the web and worker processes (production mode,
 * one shared webhook secret, DATABASE_URL through PgBouncer and
 * DATABASE_DIRECT_URL direct) and the balancer in front of the webs.
 */
import fs from 'node:fs';
import { freePort, type PgBouncer, startPgBouncer } from '@steadfast/toolkit/testing';
import { type DrillCluster, startDrillCluster } from '../../apps/orders/src/runtime/db-drill.ts';
import { makeHome, runCli } from '../../apps/orders/src/runtime/spawn-cli.ts';
import { type Balancer, startBalancer } from './balancer.ts';
import { createFleet, type Fleet, type MemberSpec } from './fleet.ts';
import { type LatencyProxy, startLatencyProxy } from './latency-proxy.ts';

export interface Stack {
  apiUrl: string;
  apiKey: string;
  operatorKey: string;
  sandboxUrl: string;
  fleet: Fleet;
  proxy: LatencyProxy;
  balancer: Balancer;
  /** the drill cluster (undefined with DATABASE_URL: then Postgres is not restarted) */
  drill: DrillCluster | undefined;
  stop(): Promise<void>;
}

const SECRET = `whsec_${Buffer.from('chaos-harness-webhook-secret-32b').toString('base64')}`;
const API_KEY = `sk_chaos_${'k'.repeat(24)}`;
const OPERATOR_KEY = `sk_chaos_operator_${'o'.repeat(20)}`;

export async function startStack(options: {
  webs: number;
  workers: number;
  restartDelayMs: number;
  pgbouncerLoginRetryS: number;
  databaseUrl?: string;
  log: (line: string) => void;
}): Promise<Stack> {
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => options.log(`stop: ${e}`));
  };
  try {
    const drill = options.databaseUrl ? undefined : await startDrillCluster();
    if (drill) cleanups.push(() => drill.close());
    const serverUrl = options.databaseUrl ?? drill!.url;
    const server = new URL(serverUrl);
    const proxy = await startLatencyProxy({
      targetHost: server.hostname,
      targetPort: Number(server.port || 5432),
    });
    cleanups.push(() => proxy.close());
    const directUrl = proxy.proxied(serverUrl);
    const bouncer: PgBouncer = await startPgBouncer({
      serverUrl: directUrl,
      poolSize: 10,
      settings: { server_login_retry: String(options.pgbouncerLoginRetryS) },
    });
    cleanups.push(() => bouncer.stop());
    const database = server.pathname.slice(1) || 'postgres';
    const home = makeHome();
    cleanups.push(async () => fs.rmSync(home, { recursive: true, force: true }));
    const sandboxPort = await freePort();
    const webPorts = await Promise.all(Array.from({ length: options.webs }, () => freePort()));
    const balancer = await startBalancer({ backends: () => webPorts });
    cleanups.push(() => balancer.close());
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      DATABASE_URL: bouncer.url(database),
      DATABASE_DIRECT_URL: directUrl,
      DATABASE_POOL_MAX: '8',
      PAYMENTS_WEBHOOK_SECRET: SECRET,
      PAYMENTS_WEBHOOK_URL: `${balancer.url}/webhooks/payments`,
      STEADFAST_DEMO_API_KEY: API_KEY,
      STEADFAST_DEMO_OPERATOR_KEY: OPERATOR_KEY,
      STEADFAST_HOME: home,
      SANDBOX_PORT: String(sandboxPort),
      HOST: '127.0.0.1',
      // small, so the sweep corrects what dropped webhooks left open within the run
      RECONCILE_INTERVAL_S: '5',
      RECONCILE_PENDING_AGE_S: '5',
      WORKER_DEAD_AFTER_S: '5',
      LOG_LEVEL: 'warn',
    };
    const migrated = await runCli(['migrate'], env);
    if (migrated.code !== 0) throw new Error(`steadfast migrate exited ${migrated.code}: ${migrated.stderr}`);
    const specs: MemberSpec[] = [
      { name: 'sandbox', role: 'sandbox', port: sandboxPort, env: {}, healthPath: '/payments/ledger' },
      ...webPorts.map((port, i) => ({
        name: `web-${i + 1}`,
        role: 'web' as const,
        port,
        env: { PORT: String(port) },
        healthPath: '/readyz',
      })),
    ];
    for (let i = 0; i < options.workers; i++) {
      const port = await freePort();
      specs.push({
        name: `worker-${i + 1}`,
        role: 'worker',
        port,
        env: { WORKER_METRICS_PORT: String(port) },
        healthPath: '/healthz',
      });
    }
    const fleet = createFleet({ specs, env, restartDelayMs: options.restartDelayMs, log: options.log });
    cleanups.push(() => fleet.stop());
    await fleet.ready();
    return {
      apiUrl: balancer.url,
      apiKey: API_KEY,
      operatorKey: OPERATOR_KEY,
      sandboxUrl: `http://127.0.0.1:${sandboxPort}`,
      fleet,
      proxy,
      balancer,
      drill,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
