/** Work in flight: operations by status and age (stuck ones highlighted), the webhook inbox, the outbox, dead letters by task. */
import { age, type Html, html } from './html.ts';
import type { WorkSnapshot } from './work-queries.ts';

function card(label: string, value: string | number, bad = false): Html {
  return html`<div class="card ${bad ? 'bad' : ''}" data-card="${label}"><div class="muted">${label}</div><div class="value">${value}</div></div>`;
}

export function workBody(work: WorkSnapshot, stuckAfterMs: number): Html {
  const open = work.operations.open.reduce((a, r) => a + r.count, 0);
  const stuck = work.operations.oldest.filter((o) => o.stuck).length;
  const deadOpen = work.deadLetters.reduce((a, r) => a + r.count, 0);
  return html`<div class="cards">${card('Open operations', open)}${card(`Stuck (> ${age(stuckAfterMs)})`, stuck, stuck > 0)}${card('Inbox lag', work.inbox.pending ? age(work.inbox.lagMs) : '0 s', work.inbox.lagMs > 60_000)}${card('Inbox failed', work.inbox.failed, work.inbox.failed > 0)}${card('Outbox backlog', work.outbox.pending, work.outbox.oldestAgeMs > 60_000)}${card('Open dead letters', deadOpen, deadOpen > 0)}</div>
<h2>Operations</h2>
<table><thead><tr><th>Status</th><th class="num">Open</th><th class="num">Oldest</th></tr></thead><tbody>${work.operations.open.map(
    (r) =>
      html`<tr><td><span class="badge ${r.status}">${r.status}</span></td><td class="num">${r.count}</td><td class="num">${age(r.oldestAgeMs)}</td></tr>`,
  )}${work.operations.open.length === 0 ? html`<tr><td colspan="3" class="muted">No open operations.</td></tr>` : ''}</tbody></table>
<p class="muted">Finished in the last hour: ${work.operations.finishedLastHour.map((r) => html`<span class="badge ${r.status}">${r.status} ${r.count}</span> `)}${work.operations.finishedLastHour.length ? '' : 'none'}</p>
<h3>Oldest open operations</h3>
<table class="operations"><thead><tr><th>Operation</th><th>Kind</th><th>Status</th><th>Tenant</th><th>Resource</th><th class="num">Age</th><th>Last error</th></tr></thead><tbody>${work.operations.oldest.map(
    (o) =>
      html`<tr class="${o.stuck ? 'stuck' : ''}" data-operation="${o.id}"><td class="mono"><a href="/console/lineage?q=${encodeURIComponent(o.id)}">${o.id}</a></td><td>${o.kind}</td><td><span class="badge ${o.stuck ? 'stuck' : o.status}">${o.stuck ? `${o.status}, stuck` : o.status}</span></td><td class="mono">${o.tenantId}</td><td class="mono">${o.resource ?? ''}</td><td class="num">${age(o.ageMs)}</td><td>${o.lastError ?? ''}</td></tr>`,
  )}${work.operations.oldest.length ? '' : html`<tr><td colspan="7" class="muted">None.</td></tr>`}</tbody></table>
<h2>Webhook inbox</h2>
<p>Waiting: <b>${work.inbox.pending}</b>${work.inbox.pending ? html`, the oldest for ${age(work.inbox.lagMs)}` : ''}. Failed: <b>${work.inbox.failed}</b>.</p>
<h3>Ignored in the last day, by reason</h3>
<table><thead><tr><th>Reason</th><th class="num">Deliveries</th></tr></thead><tbody>${work.inbox.ignoredLastDay.map(
    (r) => html`<tr><td>${r.reason}</td><td class="num">${r.count}</td></tr>`,
  )}${work.inbox.ignoredLastDay.length ? '' : html`<tr><td colspan="2" class="muted">None.</td></tr>`}</tbody></table>
${work.inbox.recentFailures.length ? html`<h3>Recent failures</h3><table><thead><tr><th>Inbox id</th><th>Webhook id</th><th>Event</th><th>Reason</th><th class="num">Age</th></tr></thead><tbody>${work.inbox.recentFailures.map((f) => html`<tr><td class="mono">${f.id}</td><td class="mono">${f.webhookId}</td><td>${f.eventType ?? ''}</td><td>${f.reason ?? ''}</td><td class="num">${age(f.ageMs)}</td></tr>`)}</tbody></table>` : ''}
<h2>Outbox</h2>
<p>Pending: <b>${work.outbox.pending}</b>${work.outbox.pending ? html`, the oldest for ${age(work.outbox.oldestAgeMs)}` : ''}. Dead: <b>${work.outbox.dead}</b>.</p>
<h2>Dead letters</h2>
<table><thead><tr><th>Task</th><th class="num">Open</th><th class="num">Last failure</th></tr></thead><tbody>${work.deadLetters.map(
    (d) =>
      html`<tr><td><a href="/console/dead-letters?task=${encodeURIComponent(d.task)}">${d.task}</a></td><td class="num">${d.count}</td><td class="num">${age(d.lastFailedAgeMs)} ago</td></tr>`,
  )}${work.deadLetters.length ? '' : html`<tr><td colspan="3" class="muted">No open dead letters.</td></tr>`}</tbody></table>`;
}
