/**
 * STEADFAST_HOME: local state of a Steadfast installation — the embedded
 * cluster's data directory and `state.json` (mode 0600) with generated secrets
 * and the chosen Postgres port, so later starts and other CLI commands reuse them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface HomeState {
  pgPort?: number;
  pgPassword: string;
  demoApiKey?: string;
  demoOperatorKey?: string;
  paymentsWebhookSecret?: string;
}

export function ensureHome(home: string): void {
  if (!fs.existsSync(home)) {
    fs.mkdirSync(home, { recursive: true });
    // the embedded cluster runs as "postgres" when we are root: it must be able to enter
    fs.chmodSync(home, 0o755);
  }
}

function statePath(home: string): string {
  return path.join(home, 'state.json');
}

export function readHomeState(home: string): HomeState {
  ensureHome(home);
  const file = statePath(home);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as HomeState;
  const state: HomeState = { pgPassword: randomBytes(18).toString('base64url') };
  writeHomeState(home, state);
  return state;
}

export function writeHomeState(home: string, state: HomeState): void {
  const file = statePath(home);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function updateHomeState(home: string, patch: Partial<HomeState>): HomeState {
  const next = { ...readHomeState(home), ...patch };
  writeHomeState(home, next);
  return next;
}

/** The pid of the `steadfast start` process that owns the embedded cluster, if it is alive. */
export function liveOwnerPid(home: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(home, 'owner.pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export function claimOwnership(home: string): void {
  fs.writeFileSync(path.join(home, 'owner.pid'), String(process.pid));
}

export function releaseOwnership(home: string): void {
  const file = path.join(home, 'owner.pid');
  try {
    if (Number(fs.readFileSync(file, 'utf8')) === process.pid) fs.unlinkSync(file);
  } catch {
    // already gone
  }
}
