/**
 * HTML for the console: a tagged template that escapes every interpolated
 * value unless it is already Html (a fragment built the same way), so no
 * text a tenant or a partner wrote can become markup.
 */

/** markup built by `html` or `trusted`: a class, so no object from data (a JSONB value) can pass for one */
export class Html {
  readonly markup: string;
  constructor(markup: string) {
    this.markup = markup;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof Html) return value.markup;
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** markup built by this module's callers from constants only (never user text) */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** `2 min`, `3 h`: an age a person reads at a glance */
export function age(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

export function isoTime(value: Date | string | number): string {
  return new Date(value)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** with milliseconds: a timeline's steps are often within one second */
export function isoTimeMs(value: Date | string | number): string {
  return new Date(value).toISOString().replace('T', ' ');
}
