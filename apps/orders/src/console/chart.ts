/**
 * The outcome chart of one dependency: one stacked bar per minute (success,
 * timeout, 5xx, 429, network, rejected, …), drawn as inline SVG on the server —
 * no script, no library, readable with styles off. Colours are presentation
 * attributes, so the page's Content-Security-Policy needs no inline style.
 */
import { EGRESS_KINDS, type EgressKind } from '@steadfast/toolkit/resilience';
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
  return html`<p class="legend">${EGRESS_KINDS.map(
    (kind) =>
      html`<span data-kind="${kind}"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${KIND_COLOURS[kind]}"/></svg> ${kind} <b>${totals[kind] ?? 0}</b></span>`,
  )}</p>`;
}

/** the chart's own margins: the bars' area, and room for the axis labels below and left */
const AXIS = { left: 34, bottom: 16 };

export function outcomeChart(dependency: string, minutes: MinuteCounts[], width = 640, height = 106): Html {
  const n = Math.max(1, minutes.length);
  const plotW = width - AXIS.left;
  const plotH = height - AXIS.bottom;
  const barW = plotW / n;
  const totals = minutes.map((m) => Object.values(m.counts).reduce((a, b) => a + (b ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bars = minutes.map((m, i) => {
    let y = plotH;
    const parts = EGRESS_KINDS.filter((k) => (m.counts[k] ?? 0) > 0).map((k) => {
      const h = ((m.counts[k] ?? 0) / max) * (plotH - 4);
      y -= h;
      return html`<rect x="${(AXIS.left + i * barW + 0.5).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${KIND_COLOURS[k]}" data-kind="${k}"><title>${m.minute} ${k}: ${m.counts[k]}</title></rect>`;
    });
    return parts;
  });
  const label = (x: number, y: number, anchor: string, text: string) =>
    html`<text x="${x}" y="${y}" text-anchor="${anchor}" font-size="10" fill="#5b6673">${text}</text>`;
  const axes = html`<line x1="${AXIS.left}" y1="${plotH}" x2="${width}" y2="${plotH}" stroke="#d8dde3"/>${label(AXIS.left - 4, 10, 'end', String(max))}${label(AXIS.left - 4, plotH, 'end', '0')}${label(AXIS.left, height - 3, 'start', `−${n} min`)}${label(width - 2, height - 3, 'end', 'now')}${label((AXIS.left + width) / 2, height - 3, 'middle', 'attempts per minute')}`;
  return html`<svg class="chart" role="img" aria-label="${dependency}: outcomes per minute, last ${n} minutes" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${axes}${bars}</svg>`;
}
