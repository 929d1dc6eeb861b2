/** The checker's reports: a terminal table with evidence and curls, JSON, and JUnit XML. */
import { type Exchange, toCurl } from './client.ts';
import type { CheckResult } from './context.ts';

export interface Report {
  target: string;
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
  summary: { passed: number; failed: number; skipped: number };
}

export function summarize(checks: CheckResult[]): Report['summary'] {
  return {
    passed: checks.filter((c) => c.status === 'passed').length,
    failed: checks.filter((c) => c.status === 'failed').length,
    skipped: checks.filter((c) => c.status === 'skipped').length,
  };
}

function redact(exchange: Exchange) {
  const headers = { ...exchange.request.headers };
  if (headers.authorization) headers.authorization = 'Bearer ***';
  return { ...exchange, request: { ...exchange.request, headers } };
}

export function toJson(report: Report): string {
  return JSON.stringify(
    { ...report, checks: report.checks.map((c) => ({ ...c, evidence: c.evidence.map(redact) })) },
    null,
    2,
  );
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function toJunit(report: Report): string {
  const cases = report.checks.map((c) => {
    const open = `    <testcase classname="${xml(c.group)}" name="${xml(`${c.id} ${c.operation}`)}">`;
    if (c.status === 'passed') return `${open}</testcase>`;
    if (c.status === 'skipped') return `${open}<skipped message="${xml(c.detail)}"/></testcase>`;
    return `${open}<failure message="${xml(c.detail)}">${xml(c.evidence.map(toCurl).join('\n'))}</failure></testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="steadfast check" tests="${report.checks.length}" failures="${report.summary.failed}" skipped="${report.summary.skipped}">\n  <testsuite name="${xml(report.target)}" tests="${report.checks.length}" failures="${report.summary.failed}" skipped="${report.summary.skipped}" time="${report.durationMs / 1000}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

export function toTerminal(report: Report): string {
  const lines: string[] = [];
  for (const group of ['contract', 'problems', 'idempotency', 'concurrency', 'load']) {
    const checks = report.checks.filter((c) => c.group === group);
    if (!checks.length) continue;
    lines.push('', group);
    for (const c of checks) {
      const mark = c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '-';
      lines.push(
        `  ${mark} ${c.id.padEnd(32)} ${c.operation}${c.status === 'passed' ? '' : `  — ${c.detail}`}`,
      );
      if (c.status === 'failed') {
        for (const e of c.evidence.slice(0, 2)) {
          const r = e.response;
          lines.push(
            `      ${e.request.method} ${e.request.url} → ${'status' in r ? `${r.status} ${r.body.slice(0, 200)}` : r.error}`,
          );
          lines.push(`      ${toCurl(e)}`);
        }
      }
    }
  }
  const s = report.summary;
  lines.push(
    '',
    `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}
