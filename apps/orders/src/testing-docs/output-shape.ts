/** Compare what a block printed with the output a doc shows for it (see docs-run.test.ts). */
import type { OutputBlock } from './doc-blocks.ts';

/** keys whose values are compared, not only their presence (all other values: type only) */
const VALUE_KEYS = new Set([
  'status',
  'kind',
  'stale',
  'type',
  'eventType',
  'failureCode',
  'errorCategory',
  'task',
  'code',
  'fault',
  'breaker',
]);

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function compareJson(doc: unknown, actual: unknown, path: string, key: string, out: string[]): void {
  if (kindOf(doc) !== kindOf(actual)) {
    out.push(`${path}: the doc shows ${kindOf(doc)}, got ${JSON.stringify(actual)}`);
    return;
  }
  if (Array.isArray(doc) && Array.isArray(actual)) {
    if (doc.length > 0 && doc.length !== actual.length)
      out.push(`${path}: the doc shows ${doc.length} element(s), got ${actual.length}`);
    doc.forEach((d, i) => {
      if (i < actual.length) compareJson(d, actual[i], `${path}[${i}]`, key, out);
    });
    return;
  }
  if (doc && typeof doc === 'object' && actual && typeof actual === 'object') {
    const a = actual as Record<string, unknown>;
    const d = doc as Record<string, unknown>;
    for (const k of Object.keys(d)) {
      if (!(k in a)) out.push(`${path}.${k}: shown in the doc, missing from the answer`);
      else compareJson(d[k], a[k], `${path}.${k}`, k, out);
    }
    for (const k of Object.keys(a))
      if (!(k in d)) out.push(`${path}.${k}: in the answer, not shown in the doc`);
    return;
  }
  if (VALUE_KEYS.has(key) && !(typeof doc === 'string' && doc.includes('…')) && doc !== actual)
    out.push(`${path}: the doc shows ${JSON.stringify(doc)}, got ${JSON.stringify(actual)}`);
}

/** `…` alone on a line = any number of lines; inside a line = any text. */
function globLines(pattern: string[], lines: string[]): boolean {
  const regexes = pattern.map((p) =>
    p === '…' ? null : new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('…', '.*')}$`),
  );
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const id = `${i}:${j}`;
    const known = memo.get(id);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === regexes.length) result = j === lines.length;
    else if (regexes[i] === null) result = match(i + 1, j) || (j < lines.length && match(i, j + 1));
    else result = j < lines.length && (regexes[i] as RegExp).test(lines[j]) && match(i + 1, j + 1);
    memo.set(id, result);
    return result;
  };
  return match(0, 0);
}

/** Differences between a documented output and the block's stdout; empty when they agree. */
export function compareOutput(shown: OutputBlock, stdout: string): string[] {
  const lines = stdout
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trimEnd())
    .filter((l) => l !== '');
  if (shown.kind === 'text') {
    const pattern = shown.text.split('\n').filter((l) => l.trim() !== '');
    return globLines(pattern, lines)
      ? []
      : [`the output does not match the text shown:\n${lines.join('\n')}`];
  }
  let doc: unknown;
  try {
    doc = JSON.parse(shown.text);
  } catch (error) {
    return [`the JSON shown is not valid JSON: ${(error as Error).message}`];
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!/^[[{]/.test(lines[i])) continue;
    let actual: unknown;
    try {
      actual = JSON.parse(lines[i]);
    } catch {
      continue;
    }
    const out: string[] = [];
    compareJson(doc, actual, '$', '', out);
    return out.length ? [...out, `answer: ${lines[i]}`] : [];
  }
  return [`the block printed no JSON line:\n${lines.join('\n')}`];
}
