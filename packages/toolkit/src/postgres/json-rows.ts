/**
 * Many rows as ONE statement parameter: a JSON array of rows, each an array
 * of values, read back by `jsonb_array_elements` and cast per column. The
 * statement text — and its prepared plan — is the same for any number of
 * rows, and the client serialises the batch with one JSON.stringify (no
 * per-element array-literal escaping). Each value is first turned into the
 * text node-postgres would send for it as a parameter (its own
 * `prepareValue`: Dates, arrays, objects, `toPostgres`, Buffers as `\x` hex),
 * and `->>` reads that text back for the cast: a row written in a batch is
 * the row the same values would write alone.
 */
import { createRequire } from 'node:module';

const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue: (value: unknown) => string | Buffer | null;
};

/** a column of the rows: the alias it gets in the source, and its SQL type */
export type JsonRowColumn = readonly [alias: string, type: string];

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const TYPE = /^[a-z][a-z0-9_ ]*(\(\d+(,\d+)?\))?(\[\])?$/;

/** identifiers and types are spliced into statement text: only plain names pass */
export function isSqlIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}
export function isSqlType(type: string): boolean {
  return TYPE.test(type);
}

/**
 * `SELECT r.n, <each column cast> FROM jsonb_array_elements($param) …`: the rows
 * of the parameter, numbered from 1 (`n`) in the order they were sent.
 */
export function jsonRowsSource(columns: readonly JsonRowColumn[], param = 1): string {
  const fields = columns.map(([alias, type], i) => {
    if (!isSqlIdentifier(alias) || !isSqlType(type))
      throw new Error(`json rows: bad column ${JSON.stringify([alias, type])}`);
    const text = `r.row->>${i}`;
    return `${type === 'text' ? text : `(${text})::${type}`} AS ${alias}`;
  });
  return `SELECT r.n::integer AS n, ${fields.join(', ')} FROM jsonb_array_elements($${param}::jsonb) WITH ORDINALITY AS r(row, n)`;
}

/** The parameter for `jsonRowsSource`: one JSON document of all rows, each value as its parameter text. */
export function jsonRowsParam(rows: readonly (readonly unknown[])[]): string {
  return JSON.stringify(rows.map((row) => row.map(jsonRowValue)));
}

function jsonRowValue(value: unknown): string | null {
  if (typeof value === 'string') return value; // what prepareValue gives a string, without the call
  const prepared = prepareValue(value);
  return Buffer.isBuffer(prepared) ? `\\x${prepared.toString('hex')}` : prepared;
}
