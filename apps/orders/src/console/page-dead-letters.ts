/** Dead letters: the list (filter by task and status), one inspected, the replay / discard forms, the bulk replay and its confirmation. */
import type { DeadLetter } from '@steadfast/toolkit/jobs';
import { type Html, html, isoTime } from './html.ts';
import { csrfField } from './layout.ts';

function actions(letter: DeadLetter, csrf: string): Html {
  if (letter.status !== 'dead') return html`<span class="muted">${letter.status}</span>`;
  return html`<form class="inline" method="post" action="/console/dead-letters/${letter.id}/replay">${csrfField(csrf)}<button type="submit" class="primary" data-action="replay">Replay</button></form>`;
}

export function deadLettersBody(options: {
  letters: DeadLetter[];
  tasks: string[];
  filter: { task?: string; status?: string };
  csrf: string;
  nextCursor: string | null;
  defaultSince: string;
}): Html {
  const { filter, csrf } = options;
  const taskOptions = options.tasks.map(
    (t) => html`<option value="${t}" ${t === filter.task ? html`selected` : ''}>${t}</option>`,
  );
  const statusOptions = ['dead', 'replayed', 'discarded'].map(
    (s) => html`<option value="${s}" ${s === filter.status ? html`selected` : ''}>${s}</option>`,
  );
  const next = options.nextCursor
    ? html`<p><a href="/console/dead-letters?${new URLSearchParams({ ...(filter.task ? { task: filter.task } : {}), ...(filter.status ? { status: filter.status } : {}), cursor: options.nextCursor }).toString()}">Older →</a></p>`
    : '';
  return html`<form method="get" action="/console/dead-letters"><label>Task <select name="task"><option value="">any</option>${taskOptions}</select></label>
<label>Status <select name="status"><option value="">any</option>${statusOptions}</select></label> <button type="submit">Filter</button></form>
<h2>Replay in bulk</h2>
<form method="post" action="/console/dead-letters/bulk-replay">${csrfField(csrf)}
<label>Task <select name="task" required>${options.tasks.map((t) => html`<option value="${t}" ${t === filter.task ? html`selected` : ''}>${t}</option>`)}</select></label>
<label>failed since (UTC) <input type="datetime-local" name="since" value="${options.defaultSince}" required></label>
<button type="submit">Count and confirm…</button></form>
<h2>Dead letters</h2>
<table class="dead-letters"><thead><tr><th>Id</th><th>Task</th><th>Tenant</th><th>Status</th><th class="num">Attempts</th><th>Error</th><th>Last failed</th><th></th></tr></thead><tbody>${options.letters.map(
    (l) =>
      html`<tr data-dead-letter="${l.id}"><td class="mono"><a href="/console/dead-letters/${l.id}">${l.id}</a></td><td>${l.task}</td><td class="mono">${l.tenantId ?? 'system'}</td><td><span class="badge ${l.status}">${l.status}</span></td><td class="num">${l.attempts}</td><td>${l.errorCategory}: ${l.errorMessage.slice(0, 160)}</td><td>${isoTime(l.lastFailedAt)}</td><td>${actions(l, csrf)}</td></tr>`,
  )}${options.letters.length ? '' : html`<tr><td colspan="8" class="muted">No dead letters match.</td></tr>`}</tbody></table>${next}`;
}

export function deadLetterBody(letter: DeadLetter, csrf: string): Html {
  const dead = letter.status === 'dead';
  return html`<table><tbody>
<tr><th>Task</th><td>${letter.task}</td></tr><tr><th>Tenant</th><td class="mono">${letter.tenantId ?? 'system'}</td></tr>
<tr><th>Status</th><td><span class="badge ${letter.status}">${letter.status}</span>${letter.discardReason ? html` — ${letter.discardReason}` : ''}</td></tr>
<tr><th>Attempts</th><td>${letter.attempts}</td></tr><tr><th>Error</th><td>${letter.errorCategory}: ${letter.errorMessage}</td></tr>
<tr><th>First failed</th><td>${isoTime(letter.firstFailedAt)}</td></tr><tr><th>Last failed</th><td>${isoTime(letter.lastFailedAt)}</td></tr>
${letter.replayedAt ? html`<tr><th>Replayed</th><td>${isoTime(letter.replayedAt)}</td></tr>` : ''}</tbody></table>
<h2>Payload</h2><pre class="mono">${JSON.stringify(letter.payload, null, 2)}</pre>
${
  dead
    ? html`<h2>Act</h2><form method="post" action="/console/dead-letters/${letter.id}/replay">${csrfField(csrf)}<button type="submit" class="primary" data-action="replay">Replay with fresh attempts</button></form>
<form method="post" action="/console/dead-letters/${letter.id}/discard">${csrfField(csrf)}<p><label>Reason for discarding <input type="text" name="reason" maxlength="500" required></label>
<button type="submit" class="danger" data-action="discard">Discard</button></p></form>`
    : ''
}`;
}

export function bulkConfirmBody(options: {
  task: string;
  since: string;
  until: string;
  count: number;
  csrf: string;
  max: number;
}): Html {
  return html`<p>Replay <b data-count="${options.count}">${options.count}</b> open dead letter${options.count === 1 ? '' : 's'} of task <b>${options.task}</b> that failed between <b>${options.since.replace('T', ' ')} UTC</b> and <b>${isoTime(options.until)}</b> (when you counted)${options.count > options.max ? html` (the first ${options.max}; ask again for the rest)` : ''}?</p>
<form method="post" action="/console/dead-letters/bulk-replay">${csrfField(options.csrf)}<input type="hidden" name="task" value="${options.task}"><input type="hidden" name="since" value="${options.since}"><input type="hidden" name="until" value="${options.until}"><input type="hidden" name="confirm" value="yes">
<button type="submit" class="primary" data-action="confirm-bulk">Replay ${options.count}</button> <a href="/console/dead-letters?task=${encodeURIComponent(options.task)}">Cancel</a></form>`;
}
