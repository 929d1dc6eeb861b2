/**
 * The checker's reports: the terminal (failed checks first, with evidence and
 * a curl each; `verbose` adds the evidence of passed ones; a line of skipped
 * checks by reason), JSON, JUnit XML; the HTML page is report-html.ts.
 */
import { type Exchange, toCurl } from './client.ts';
import type { CheckResult } from './context.ts';

export interface Report {
  target: string;
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
  summary: { passed: number; failed: number; skipped: number; warnings: number };
  requestsByGroup?: Record<string, number>;
  /** requests that met a 429 and were sent again after its Retry-After, and the seconds waited */
  paced?: { requests: number; waitedS: number };
}

export function summarize(checks: CheckResult[]): Report['summary'] {
  return {
    passed: checks.filter((c) => c.status === 'passed').length,
    failed: checks.filter((c) => c.status === 'failed').length,
    skipped: checks.filter((c) => c.status === 'skipped').length,
    warnings: checks.filter((c) => c.status === 'warning').length,
  };
}

/** skipped checks by reason (ids and quoted values folded, so one reason counts once), most frequent first */
export function skippedByReason(checks: CheckResult[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const c of checks.filter((x) => x.status === 'skipped')) {
    const reason = c.detail.replace(/\/[\w{}./-]+/g, '…').replace(/\(\d+\)/g, '(n)');
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

export function redact(exchange: Exchange): Exchange {
  const headers = { ...exchange.request.headers };
  if (headers.authorization && exchange.request.credential !== '') headers.authorization = 'Bearer ***';
  return { ...exchange, request: { ...exchange.request, headers } };
}

export function toJson(report: Report): string {
  return JSON.stringify(
    {
      ...report,
      checks: report.checks.map((c) => ({ ...c, evidence: c.evidence.map(redact) })),
      skippedByReason: Object.fromEntries(skippedByReason(report.checks)),
    },
    null,
    2,
  );
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function toJunit(report: Report): string {
  const cases = report.checks.map((c) => {
    const open = `    <testcase classname="${xml(c.group)}" name="${xml(`${c.id} ${c.operation}`)}">`;
    if (c.status === 'passed') return `${open}</testcase>`;
    if (c.status === 'warning')
      return `${open}<system-out>${xml(`warning: ${c.detail}`)}</system-out></testcase>`;
    if (c.status === 'skipped') return `${open}<skipped message="${xml(c.detail)}"/></testcase>`;
    return `${open}<failure message="${xml(c.detail)}">${xml(c.evidence.map(toCurl).join('\n'))}</failure></testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="steadfast check" tests="${report.checks.length}" failures="${report.summary.failed}" skipped="${report.summary.skipped}">\n  <testsuite name="${xml(report.target)}" tests="${report.checks.length}" failures="${report.summary.failed}" skipped="${report.summary.skipped}" time="${report.durationMs / 1000}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

export function describeExchange(e: Exchange): string {
  const r = e.response;
  return `${e.request.method} ${e.request.url} → ${'status' in r ? `${r.status} ${r.body.slice(0, 200)}` : r.error}`;
}

const MARK: Record<CheckResult['status'], string> = { passed: '✓', failed: '✗', skipped: '-', warning: '!' };

export function toTerminal(report: Report, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  const evidence = (c: CheckResult, curls: boolean) => {
    for (const e of c.evidence.slice(0, 2)) {
      lines.push(`      ${describeExchange(e)}`);
      if (curls) lines.push(`      ${toCurl(e)}`);
    }
  };
  const failed = report.checks.filter((c) => c.status === 'failed');
  if (failed.length) {
    lines.push('', `FAILED (${failed.length})`);
    for (const c of failed) {
      lines.push(`  ✗ ${c.id.padEnd(34)} ${c.operation}  — ${c.detail}`);
      evidence(c, true);
    }
  }
  const groups = [...new Set(report.checks.map((c) => c.group))];
  for (const group of groups) {
    const checks = report.checks.filter((c) => c.group === group && c.status !== 'failed');
    if (!checks.length) continue;
    lines.push('', group);
    for (const c of checks) {
      const shown = c.status !== 'passed' || options.verbose;
      lines.push(`  ${MARK[c.status]} ${c.id.padEnd(34)} ${c.operation}${shown ? `  — ${c.detail}` : ''}`);
      if (options.verbose || c.status === 'warning') evidence(c, c.status === 'warning');
    }
  }
  const s = report.summary;
  const skipped = skippedByReason(report.checks);
  if (skipped.length)
    lines.push('', `skipped by reason: ${skipped.map(([reason, n]) => `${n} × ${reason}`).join('; ')}`);
  if (report.requestsByGroup)
    lines.push(
      `requests: ${Object.entries(report.requestsByGroup)
        .map(([g, n]) => `${g} ${n}`)
        .join(', ')}`,
    );
  if (report.paced?.requests)
    lines.push(
      `paced: ${report.paced.requests} request(s) met 429 and were sent again after Retry-After (${report.paced.waitedS} s waited)`,
    );
  lines.push(
    '',
    `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped${s.warnings ? `, ${s.warnings} warning(s)` : ''} in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}
