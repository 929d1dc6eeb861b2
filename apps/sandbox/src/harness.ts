/** The sandbox on a free loopback port, with the calls tests and benchmarks make to steer it. */
import { buildSandbox, type Partner, type SandboxOptions } from './app.ts';

export interface RunningSandbox {
  base: string;
  urls: {
    pricingUrl: string;
    paymentsUrl: string;
    messagingUrl: string;
    analyticsUrl: string;
    recommendationsUrl: string;
  };
  /** PUT /{partner}/_chaos; resolves with the status and body */
  chaos(partner: Partner, config: object): Promise<{ status: number; body: Record<string, unknown> }>;
  requestsSeen(partner: Partner): Promise<number>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const sandbox = await buildSandbox(options);
  const base = await sandbox.server.listen({ port: 0, host: '127.0.0.1' });
  return {
    base,
    urls: {
      pricingUrl: `${base}/pricing`,
      paymentsUrl: `${base}/payments`,
      messagingUrl: `${base}/messaging`,
      analyticsUrl: `${base}/analytics`,
      recommendationsUrl: `${base}/recommendations`,
    },
    async chaos(partner, config) {
      const response = await fetch(`${base}/${partner}/_chaos`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(config),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async requestsSeen(partner) {
      return ((await (await fetch(`${base}/${partner}/_chaos`)).json()) as { requestsSeen: number })
        .requestsSeen;
    },
    async reset() {
      await fetch(`${base}/_reset`, { method: 'POST' });
    },
    close: () => sandbox.close(),
  };
}
