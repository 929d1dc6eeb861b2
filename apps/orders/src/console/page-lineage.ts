/**
 * Request lineage: search by request id, idempotency key, order id or
 * operation id; one timeline of what that request caused (the request, its
 * idempotency outcome, the operation, its jobs and dead letters, every
 * outbound attempt, webhooks and what verify-then-act decided, notifications).
 */
import { type Html, html, isoTime } from './html.ts';

export interface TimelineView {
  query: string;
  matched: Array<{ kind: string; id: string }>;
  events: Array<{ at: string | number | Date; kind: string; [field: string]: unknown }>;
  truncated?: boolean;
}

const HIDDEN = new Set(['at', 'kind']);

function fields(event: Record<string, unknown>): Html[] {
  return Object.entries(event)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined && v !== null && v !== '')
    .map(
      ([k, v]) =>
        html`<span class="field" data-field="${k}"><span class="muted">${k}</span> <span class="mono">${typeof v === 'object' ? JSON.stringify(v) : String(v)}</span></span>; `,
    );
}

export function lineageBody(query: string, view: TimelineView | undefined): Html {
  const form = html`<form method="get" action="/console/lineage"><input type="search" name="q" value="${query}" size="48" placeholder="request id, Idempotency-Key, order id or operation id" aria-label="search" required> <button type="submit" class="primary">Search</button></form>`;
  if (!view) return form;
  if (view.matched.length === 0)
    return html`${form}<p class="flash error" role="status">Nothing recorded matches “${query}”. Lineage keeps what happened in the retention window (7 days by default).</p>`;
  return html`${form}<p>Matched: ${view.matched.map((m) => html`<span class="badge">${m.kind} ${m.id}</span> `)}</p>
<table class="timeline"><thead><tr><th>When</th><th>What</th><th>Details</th></tr></thead><tbody>${view.events.map(
    (e) =>
      html`<tr data-event="${e.kind}"><td>${isoTime(e.at as string)}</td><td><span class="badge">${e.kind}</span></td><td>${fields(e)}</td></tr>`,
  )}</tbody></table>${view.truncated ? html`<p class="muted">The timeline was cut at its limit; search a narrower id.</p>` : ''}`;
}
