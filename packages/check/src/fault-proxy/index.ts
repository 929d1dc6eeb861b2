/** Fault-injection mode: `--fault-proxy <name>=<listen-port>:<upstream-url>` and the `faults` checks. */
import type { CheckContext } from '../context.ts';

export type Context = CheckContext;

export interface FaultProxySpec {
  name: string;
  listenPort: number;
  upstream: string;
}

export interface FaultCheckOptions {
  maxLatencyMs?: number;
  maxAmplification?: number;
  seed: number;
}

/** Parses `<name>=<listen-port>:<upstream-url>`; throws an Error with a one-line message on a bad pair. */
export function parseFaultProxyFlag(value: string): FaultProxySpec {
  const match = /^([A-Za-z][\w-]*)=(\d{1,5}):(.+)$/.exec(value);
  if (!match) throw new Error(`bad --fault-proxy "${value}": expected <name>=<listen-port>:<upstream-url>`);
  const [, name, port, upstream] = match as unknown as [string, string, string, string];
  const listenPort = Number(port);
  if (listenPort < 1 || listenPort > 65535)
    throw new Error(`bad --fault-proxy "${value}": the listen port must be 1-65535`);
  let url: URL;
  try {
    url = new URL(upstream);
  } catch {
    throw new Error(`bad --fault-proxy "${value}": the upstream is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`bad --fault-proxy "${value}": the upstream must be http(s)`);
  return { name, listenPort, upstream };
}

/** Runs the `faults` checks through one proxy per spec; reports with group 'faults'. */
export async function runFaultChecks(
  ctx: CheckContext,
  specs: FaultProxySpec[],
  _options: FaultCheckOptions,
): Promise<void> {
  for (const spec of specs)
    ctx.report({
      id: 'faults.pending',
      group: 'faults',
      operation: spec.name,
      status: 'skipped',
      detail: 'fault-injection checks are not implemented yet',
    });
}
