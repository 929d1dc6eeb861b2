/** A self-contained HTML page of a report (no script, no external resource), to attach to a pull request. */
import { toCurl } from './client.ts';
import type { CheckResult } from './context.ts';
import { describeExchange, type Report, redact, skippedByReason } from './report.ts';

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ORDER: CheckResult['status'][] = ['failed', 'warning', 'passed', 'skipped'];

export function toHtml(report: Report): string {
  const s = report.summary;
  const rows = [...report.checks]
    .sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status))
    .map((c) => {
      const evidence = c.evidence
        .slice(0, 3)
        .map(redact)
        .map((e) => `<pre>${esc(describeExchange(e))}\n${esc(toCurl(e))}</pre>`)
        .join('');
      return `<tr class="${c.status}"><td>${c.status}</td><td>${esc(c.id)}</td><td>${esc(c.operation)}</td><td>${esc(c.detail)}${evidence ? `<details><summary>evidence</summary>${evidence}</details>` : ''}</td></tr>`;
    })
    .join('\n');
  const skipped = skippedByReason(report.checks)
    .map(([reason, n]) => `<li>${n} × ${esc(reason)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>steadfast-check: ${esc(report.target)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
tr.failed td:first-child{color:#b00020;font-weight:bold}tr.warning td:first-child{color:#a60}
tr.passed td:first-child{color:#080}tr.skipped{color:#777}pre{white-space:pre-wrap;background:#f6f6f6;padding:6px}
</style></head><body>
<h1>steadfast-check: ${esc(report.target)}</h1>
<p>${esc(report.startedAt)} · ${(report.durationMs / 1000).toFixed(1)} s · <strong>${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.warnings} warning(s)</strong></p>
${
  report.requestsByGroup
    ? `<p>requests: ${esc(
        Object.entries(report.requestsByGroup)
          .map(([g, n]) => `${g} ${n}`)
          .join(', '),
      )}</p>`
    : ''
}
${skipped ? `<h2>Skipped, by reason</h2><ul>${skipped}</ul>` : ''}
<h2>Checks</h2>
<table><thead><tr><th>status</th><th>check</th><th>operation</th><th>detail</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}
