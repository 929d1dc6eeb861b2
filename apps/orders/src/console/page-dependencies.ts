/**
 * Dependencies: one row per partner — breaker state (every instance's, the
 * worst first), retry budget left, attempts/s, outcomes per minute over the
 * last hour (chart + totals), egress p50/p99, stale serves and the last
 * errors with their request ids (each a link to its lineage). The figures are
 * the whole deployment's (the per-minute history every instance writes); a
 * partner no instance has called yet shows this instance's live state.
 */
import type { EgressKind } from '@steadfast/toolkit/resilience';
import { legend, outcomeChart } from './chart.ts';
import { age, type Html, html, isoTime } from './html.ts';

export interface DependencyInstance {
  instanceId: string;
  breaker: string;
  budgetRemaining: number;
  updatedAt: string;
  fresh: boolean;
}

export interface DependencyError {
  at: string | number;
  kind: string;
  status: number | null;
  route: string;
  attempt: number;
  requestId: string | null;
  idempotencyKey: string | null;
  error: string | null;
  instanceId: string;
}

export interface DependencyRow {
  dependency: string;
  criticality?: string;
  minutes: Array<{ minute: string; counts: Partial<Record<EgressKind, number>>; stale?: number }>;
  lastHour: Partial<Record<EgressKind, number>>;
  attemptsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  instances: DependencyInstance[];
  lastErrors: DependencyError[];
}

const SEVERITY: Record<string, number> = { open: 2, 'half-open': 1, closed: 0 };

/** the state to show: the worst of the instances that reported lately (an open breaker anywhere is news) */
export function worstBreaker(instances: DependencyInstance[]): string {
  const fresh = instances.filter((i) => i.fresh);
  if (fresh.length === 0) return 'unknown';
  return fresh.map((i) => i.breaker).sort((a, b) => (SEVERITY[b] ?? 0) - (SEVERITY[a] ?? 0))[0];
}

const fmtMs = (v: number | null) =>
  v === null ? '—' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;

function errorsTable(errors: DependencyError[], now: number): Html {
  if (errors.length === 0) return html`<p class="muted">No errors in the history.</p>`;
  return html`<table class="errors"><thead><tr><th>When</th><th>Kind</th><th>Status</th><th>Route</th><th class="num">Attempt</th><th>Request</th><th>Outbound key</th><th>Error</th></tr></thead><tbody>${errors.map(
    (e) =>
      html`<tr><td title="${isoTime(e.at)}">${age(now - new Date(e.at).getTime())} ago</td><td><span class="badge">${e.kind}</span></td><td>${e.status ?? '—'}</td><td class="mono">${e.route}</td><td class="num">${e.attempt}</td><td class="mono">${e.requestId ? html`<a href="/console/lineage?q=${encodeURIComponent(e.requestId)}">${e.requestId}</a>` : '—'}</td><td class="mono">${e.idempotencyKey ?? '—'}</td><td>${e.error ?? ''}</td></tr>`,
  )}</tbody></table>`;
}

export function dependenciesBody(rows: DependencyRow[], now: number): Html {
  if (rows.length === 0) return html`<p class="muted">This service has no partners configured.</p>`;
  const summary = html`<table class="dependencies"><thead><tr><th>Partner</th><th>Breaker</th><th class="num">Budget left</th><th class="num">Attempts/s (last min)</th><th class="num">p50</th><th class="num">p99</th><th class="num">Stale serves (1 h)</th><th class="num">Failures (1 h)</th></tr></thead><tbody>${rows.map(
    (r) => {
      const breaker = worstBreaker(r.instances);
      const failures = Object.entries(r.lastHour)
        .filter(([k]) => k !== 'success')
        .reduce((a, [, n]) => a + (n ?? 0), 0);
      const budgets = r.instances.filter((i) => i.fresh).map((i) => i.budgetRemaining);
      const stale = r.minutes.reduce((a, m) => a + (m.stale ?? 0), 0);
      return html`<tr data-dependency="${r.dependency}"><td><a href="#dep-${r.dependency}">${r.dependency}</a></td><td><span class="badge ${breaker}" data-breaker="${breaker}">${breaker}</span></td><td class="num">${budgets.length ? Math.min(...budgets) : '—'}</td><td class="num">${r.attemptsPerSecond.toFixed(2)}</td><td class="num">${fmtMs(r.p50Ms)}</td><td class="num">${fmtMs(r.p99Ms)}</td><td class="num">${stale}</td><td class="num">${failures}</td></tr>`;
    },
  )}</tbody></table>`;
  const details = rows.map(
    (
      r,
    ) => html`<section id="dep-${r.dependency}" data-dependency="${r.dependency}"><h2>${r.dependency}${r.criticality ? html` <span class="muted">(${r.criticality})</span>` : ''}</h2>
${outcomeChart(r.dependency, r.minutes)}${legend(r.lastHour)}
<p class="muted">Instances: ${r.instances.length === 0 ? 'none reported yet' : r.instances.map((i) => html`<span class="badge ${i.breaker}">${i.instanceId}: ${i.breaker}${i.fresh ? '' : ' (stale)'}</span> `)}</p>
<h3>Last errors</h3>${errorsTable(r.lastErrors, now)}</section>`,
  );
  return html`${summary}<p class="muted">Outcomes of every attempt per minute over the last hour, all instances. Timeouts, network errors and refusals by our own breaker or bulkhead are told apart from the partner's 5xx and 429.</p>${details}`;
}
