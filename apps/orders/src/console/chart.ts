/**
 * The outcome chart of one dependency: one stacked bar per minute (success,
 * timeout, 5xx, 429, network, rejected, …), drawn as inline SVG on the server —
 * no script, no library, readable with styles off. Colours are presentation
 * attributes, so the page's Content-Security-Policy needs no inline style.
 */
import type { EgressKind } from '@steadfast/toolkit/resilience';
import { type Html, html } from './html.ts';

export const KIND_COLOURS: Record<EgressKind, string> = {
  success: '#2f9e5b',
  timeout: '#d97706',
  '5xx': '#dc2626',
  '429': '#7c3aed',
  '4xx': '#64748b',
  network: '#0e7490',
  malformed: '#be185d',
  rejected: '#111827',
};

export interface MinuteCounts {
  minute: string;
  counts: Partial<Record<EgressKind, number>>;
}

export function legend(totals: Partial<Record<EgressKind, number>>): Html {
  const kinds = Object.keys(KIND_COLOURS) as EgressKind[];
  return html`<p class="legend">${kinds.map(
    (kind) =>
      html`<span data-kind="${kind}"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${KIND_COLOURS[kind]}"/></svg> ${kind} <b>${totals[kind] ?? 0}</b></span>`,
  )}</p>`;
}

export function outcomeChart(dependency: string, minutes: MinuteCounts[], width = 600, height = 90): Html {
  const n = Math.max(1, minutes.length);
  const barW = width / n;
  const totals = minutes.map((m) => Object.values(m.counts).reduce((a, b) => a + (b ?? 0), 0));
  const max = Math.max(1, ...totals);
  const kinds = Object.keys(KIND_COLOURS) as EgressKind[];
  const bars = minutes.map((m, i) => {
    let y = height;
    const parts = kinds
      .filter((k) => (m.counts[k] ?? 0) > 0)
      .map((k) => {
        const h = ((m.counts[k] ?? 0) / max) * (height - 4);
        y -= h;
        return html`<rect x="${(i * barW + 0.5).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${KIND_COLOURS[k]}" data-kind="${k}"><title>${m.minute} ${k}: ${m.counts[k]}</title></rect>`;
      });
    return parts;
  });
  return html`<svg class="chart" role="img" aria-label="${dependency}: outcomes per minute, last ${n} minutes" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars}</svg>`;
}
