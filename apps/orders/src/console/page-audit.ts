/** The audit: every action on dead letters (console and API) and every console sign-in, newest first. */
import type { AuditEntry } from '../admin/audit.ts';
import { type Html, html, isoTime } from './html.ts';

export function auditBody(entries: AuditEntry[], nextCursor: string | null): Html {
  return html`<table class="audit"><thead><tr><th>When</th><th>Who</th><th>Via</th><th>Action</th><th>Target</th><th>Detail</th></tr></thead><tbody>${entries.map(
    (e) =>
      html`<tr data-audit="${e.action}"><td>${isoTime(e.at)}</td><td class="mono">${e.actor}</td><td>${e.via}</td><td>${e.action}</td><td class="mono">${e.target ?? ''}</td><td class="mono">${Object.keys(e.detail).length ? JSON.stringify(e.detail) : ''}</td></tr>`,
  )}${entries.length ? '' : html`<tr><td colspan="6" class="muted">Nothing audited yet.</td></tr>`}</tbody></table>${nextCursor ? html`<p><a href="/console/audit?before=${nextCursor}">Older →</a></p>` : ''}`;
}
