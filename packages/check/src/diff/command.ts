/**
 * `steadfast-check diff <old> <new>`: print every change between two OpenAPI
 * documents (files or URLs, JSON or YAML), breaking ones first, and a summary.
 * Exit 1 when one is breaking, 0 otherwise, 2 with one line on stderr when an
 * input is missing or is not an OpenAPI 3.x document.
 */
import { parseArgs } from 'node:util';
import { readSpec, SpecError } from '../spec.ts';
import { type ApiChange, diffOpenApi } from './document.ts';

export function renderDiffUsage(program = 'steadfast-check'): string {
  return `Usage: ${program} diff <old> <new> [--json]

Compares two OpenAPI 3.0/3.1 documents (files or http(s) URLs, JSON or YAML)
and classifies every change as breaking or not for a client written against
<old>: a removed operation or response field, a newly required field or
parameter, a narrowed type or range, a changed success status or content type…
The rules: docs/checker.md, "Comparing two API documents".

Options:
  --json       print the changes as JSON: { changes: [{ breaking, kind, path, location, message }], summary }
  -h, --help   print this help and exit

Exit codes:
  0  no change is breaking (or no change at all)
  1  at least one change is breaking
  2  bad usage, or an input that is missing or not an OpenAPI 3.x document
`;
}

/** one line per change, breaking ones first, then the summary line */
export function formatChanges(changes: ApiChange[]): string {
  const ordered = [...changes.filter((c) => c.breaking), ...changes.filter((c) => !c.breaking)];
  const lines = ordered.map((c) => `${c.breaking ? 'BREAKING' : 'ok'}  ${c.path}: ${c.message}`);
  return [...lines, summaryLine(changes)].join('\n');
}

function summaryLine(changes: ApiChange[]): string {
  if (changes.length === 0) return 'no changes';
  const breaking = changes.filter((c) => c.breaking).length;
  return `${changes.length} change${changes.length === 1 ? '' : 's'}: ${breaking} breaking, ${changes.length - breaking} not breaking`;
}

export async function runDiffCommand(argv: string[], program = 'steadfast-check'): Promise<number> {
  const refuse = (message: string) => {
    process.stderr.write(`${program}: ${message.split('\n')[0]}\n`);
    return 2;
  };
  let parsed: { values: { json?: boolean; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    return refuse(`${(error as Error).message.split('. ')[0]}; run "${program} diff --help"`);
  }
  if (parsed.values.help) {
    process.stdout.write(renderDiffUsage(program));
    return 0;
  }
  if (parsed.positionals.length !== 2)
    return refuse(`give two documents, e.g. ${program} diff openapi/old.json openapi/new.json`);
  const [oldSource, newSource] = parsed.positionals;
  let changes: ApiChange[];
  try {
    const read = (source: string) => readSpec(source, fetch, { hint: '' });
    const [before, after] = [await read(oldSource), await read(newSource)];
    changes = diffOpenApi(before, after).changes;
  } catch (error) {
    if (error instanceof SpecError) return refuse(error.message);
    throw error;
  }
  const breaking = changes.filter((c) => c.breaking).length;
  if (parsed.values.json)
    process.stdout.write(
      `${JSON.stringify({ changes, summary: { breaking, notBreaking: changes.length - breaking } }, null, 2)}\n`,
    );
  else process.stdout.write(`${formatChanges(changes)}\n`);
  return breaking > 0 ? 1 : 0;
}
