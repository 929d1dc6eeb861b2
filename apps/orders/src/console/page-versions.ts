/** API versions: which tenants still call which version — the deprecated ones first — and when they last did. */
import type { ApiVersions, VersionUsageRow } from '@steadfast/toolkit/versioning';
import { type Html, html, isoTime } from './html.ts';

export function versionsBody(versions: ApiVersions, usage: VersionUsageRow[]): Html {
  const rows = [...usage].sort((a, b) => Number(b.deprecated) - Number(a.deprecated));
  const iso = (ms: number | undefined) => (ms === undefined ? '—' : isoTime(ms));
  return html`<table><thead><tr><th>Version</th><th>Deprecated</th><th>Sunset</th></tr></thead><tbody>${versions.versions.map(
    (v) => {
      const d = versions.deprecationOf(v);
      return html`<tr><td class="mono">${v}${v === versions.newest ? ' (newest)' : ''}</td><td>${iso(d?.deprecatedAtMs)}</td><td>${iso(d?.sunsetAtMs)}</td></tr>`;
    },
  )}</tbody></table>
<h2>Who calls which version</h2>
<p class="muted">Counted by every web process and written every 10 s; tenants on a deprecated version must upgrade before its sunset (docs/versioning.md).</p>
<table class="version-usage"><thead><tr><th>Tenant</th><th>Version</th><th class="num">Requests</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>${rows.map(
    (r) =>
      html`<tr data-partition="${r.partition}" class="${r.deprecated ? 'stuck' : ''}"><td class="mono">${r.partition}</td><td class="mono">${r.version}${r.deprecated ? html` <span class="badge dead">deprecated</span>` : ''}</td><td class="num">${r.requests}</td><td>${isoTime(r.firstSeenAt)}</td><td>${isoTime(r.lastSeenAt)}</td></tr>`,
  )}${rows.length ? '' : html`<tr><td colspan="5" class="muted">No versioned request counted yet.</td></tr>`}</tbody></table>`;
}

export function versionsOff(): Html {
  return html`<p class="muted">This service declares no API versions.</p>`;
}
