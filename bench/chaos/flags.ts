/**
 * The chaos harness's flags: `--name value` pairs, each with a range. A flag
 * out of range, unknown or without a value is a usage error (exit 2 with the
 * usage text); `--help` prints the usage and exits 0.
 */

export interface ChaosFlags {
  /** how long the load and the faults run, before quiescence */
  durationS: number;
  /** concurrent client loops (create → submit → approve → pay) */
  clients: number;
  webs: number;
  workers: number;
  /** SIGKILL a random web or worker this often (0: never) */
  killEveryS: number;
  /** how long the supervisor waits before restarting a killed process */
  restartDelayMs: number;
  /** `pg_ctl restart -m <mode>` once, half-way (none: never; always none with DATABASE_URL) */
  pgRestart: 'fast' | 'immediate' | 'none';
  /** partner chaos, on during the middle of the run */
  partner5xx: number;
  partnerLost: number;
  partnerLatencyMs: number;
  webhookDuplicate: number;
  webhookDrop: number;
  /** delay added to each packet between the app (and PgBouncer) and Postgres, late in the run */
  dbLatencyMs: number;
  /** send `Prefer: wait=5` with every pay */
  preferWait: boolean;
  /** PgBouncer's server_login_retry: how long it refuses clients after a failed server login */
  pgbouncerLoginRetryS: number;
  seed: number;
}

interface Spec {
  key: keyof ChaosFlags;
  help: string;
  parse(raw: string): ChaosFlags[keyof ChaosFlags] | undefined;
}

function int(min: number, max: number) {
  return (raw: string) => {
    const n = Number(raw);
    return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
  };
}
function fraction(raw: string) {
  const n = Number(raw);
  return raw.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}

const SPECS: Record<string, Spec> = {
  '--duration': { key: 'durationS', help: 'seconds of load and faults, 10-3600', parse: int(10, 3600) },
  '--clients': { key: 'clients', help: 'concurrent client loops, 1-32', parse: int(1, 32) },
  '--webs': { key: 'webs', help: 'steadfast web processes, 1-8', parse: int(1, 8) },
  '--workers': { key: 'workers', help: 'steadfast worker processes, 1-8', parse: int(1, 8) },
  '--kill-every': {
    key: 'killEveryS',
    help: 'SIGKILL a random web or worker every N s, 0 (never) or 2-600',
    parse: (raw) => {
      const n = int(0, 600)(raw);
      return n === 1 ? undefined : n;
    },
  },
  '--restart-delay-ms': {
    key: 'restartDelayMs',
    help: 'supervisor delay before restarting a killed process, 0-30000',
    parse: int(0, 30_000),
  },
  '--pg-restart': {
    key: 'pgRestart',
    help: 'restart Postgres once half-way: fast, immediate or none',
    parse: (raw) =>
      ['fast', 'immediate', 'none'].includes(raw) ? (raw as ChaosFlags['pgRestart']) : undefined,
  },
  '--partner-5xx': { key: 'partner5xx', help: 'share of partner calls answered 503, 0-1', parse: fraction },
  '--partner-lost': {
    key: 'partnerLost',
    help: 'share of charges performed but their answer lost, 0-1',
    parse: fraction,
  },
  '--partner-latency-ms': {
    key: 'partnerLatencyMs',
    help: 'latency added to partner calls, 0-10000',
    parse: int(0, 10_000),
  },
  '--webhook-dup': {
    key: 'webhookDuplicate',
    help: 'share of webhooks delivered twice, 0-1',
    parse: fraction,
  },
  '--webhook-drop': { key: 'webhookDrop', help: 'share of webhooks never delivered, 0-1', parse: fraction },
  '--db-latency-ms': {
    key: 'dbLatencyMs',
    help: 'delay per packet between app and Postgres, 0-5000',
    parse: int(0, 5000),
  },
  '--prefer-wait': {
    key: 'preferWait',
    help: 'send Prefer: wait=5 with pays: on or off',
    parse: (raw) => (raw === 'on' ? true : raw === 'off' ? false : undefined),
  },
  '--pgbouncer-login-retry-s': {
    key: 'pgbouncerLoginRetryS',
    help: "PgBouncer's server_login_retry, 1-60",
    parse: int(1, 60),
  },
  '--seed': {
    key: 'seed',
    help: 'seed of the fault schedule and partner chaos, 0-2^31',
    parse: int(0, 2 ** 31),
  },
};

export const DEFAULT_FLAGS: ChaosFlags = {
  durationS: 120,
  clients: 4,
  webs: 3,
  workers: 2,
  killEveryS: 15,
  restartDelayMs: 1000,
  pgRestart: 'immediate',
  partner5xx: 0.2,
  partnerLost: 0.1,
  partnerLatencyMs: 200,
  webhookDuplicate: 0.3,
  webhookDrop: 0.1,
  dbLatencyMs: 20,
  preferWait: true,
  pgbouncerLoginRetryS: 15,
  seed: 42,
};

export function usage(): string {
  const lines = Object.entries(SPECS).map(([name, spec]) => {
    const fallback = DEFAULT_FLAGS[spec.key];
    const shown = typeof fallback === 'boolean' ? (fallback ? 'on' : 'off') : String(fallback);
    return `  ${name.padEnd(20)} ${spec.help} (default ${shown})`;
  });
  return ['usage: npm run chaos -- [flags]', '', ...lines, '  --help               this text', ''].join('\n');
}

export type ParsedFlags = { ok: true; flags: ChaosFlags } | { ok: false; help: boolean; error?: string };

export function parseFlags(args: string[]): ParsedFlags {
  const flags: ChaosFlags = { ...DEFAULT_FLAGS };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return { ok: false, help: true };
    const [name, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const spec = SPECS[name];
    if (!spec) return { ok: false, help: false, error: `unknown flag ${JSON.stringify(arg)}` };
    const raw = inline ?? args[++i];
    if (raw === undefined) return { ok: false, help: false, error: `${name} needs a value` };
    const value = spec.parse(raw);
    if (value === undefined)
      return { ok: false, help: false, error: `${name}: ${spec.help}, got ${JSON.stringify(raw)}` };
    (flags as unknown as Record<string, unknown>)[spec.key] = value;
  }
  return { ok: true, flags };
}
