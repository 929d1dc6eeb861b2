/**
 * Request lineage: search by request id, idempotency key, order id or
 * operation id; one timeline of what that request caused (the request, its
 * idempotency outcome, the operation, its jobs and dead letters, every
 * outbound attempt, webhooks and what verify-then-act decided, notifications).
 */
import type { Timeline } from '../lineage/timeline.ts';
import { type Html, html, isoTimeMs } from './html.ts';

export type TimelineView = Timeline;

function fields(detail: Record<string, unknown>): Html[] {
  return Object.entries(detail)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(
      ([k, v]) =>
        html`<span class="field" data-field="${k}"><span class="muted">${k}</span> <span class="mono">${typeof v === 'object' ? JSON.stringify(v) : String(v)}</span></span>; `,
    );
}

export function lineageBody(query: string, view: TimelineView | undefined): Html {
  const form = html`<form method="get" action="/console/lineage"><input type="search" name="q" value="${query}" size="48" placeholder="request id, Idempotency-Key, order id or operation id" aria-label="search" required> <button type="submit" class="primary">Search</button></form>`;
  if (!view) return form;
  if (view.matched.length === 0)
    return html`${form}<p class="flash error" role="status">Nothing recorded matches “${query}”. Lineage keeps what happened within its retention (7 days by default).</p>`;
  return html`${form}<p>Matched: ${view.matched.map((m) => html`<span class="badge">${m.kind} ${m.id}</span> `)}</p>
<table class="timeline"><thead><tr><th>When</th><th>What</th><th>Summary</th><th>Details</th></tr></thead><tbody>${view.events.map(
    (e) =>
      html`<tr data-event="${e.type}"><td>${isoTimeMs(e.at)}</td><td><span class="badge">${e.type}</span></td><td>${e.summary}</td><td>${fields(e.detail)}</td></tr>`,
  )}</tbody></table>${view.truncated ? html`<p class="muted">The timeline was cut at its limit; search a narrower id.</p>` : ''}`;
}
