/**
 * Many rows as ONE statement parameter: a JSON array of rows, each an array
 * of values, read back by `jsonb_array_elements` and cast per column. The
 * statement text — and its prepared plan — is the same for any number of
 * rows, and the client serialises the batch with one JSON.stringify (no
 * per-element array-literal escaping). Buffers travel as base64 (bytea),
 * Dates as ISO strings; `->>` reads every value as text, the cast types it.
 */

/** a column of the rows: the alias it gets in the source, and its SQL type */
export type JsonRowColumn = readonly [alias: string, type: string];

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const TYPE = /^[a-z][a-z0-9_ ]*(\(\d+(,\d+)?\))?$/;

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
    const value =
      type === 'bytea' ? `decode(${text}, 'base64')` : type === 'text' ? text : `(${text})::${type}`;
    return `${value} AS ${alias}`;
  });
  return `SELECT r.n::integer AS n, ${fields.join(', ')} FROM jsonb_array_elements($${param}::jsonb) WITH ORDINALITY AS r(row, n)`;
}

/**
 * The parameter for `jsonRowsSource`: one JSON document of all rows. A jsonb
 * column may hold a JSON string (parsed by the cast) or a plain value/object
 * (its JSON text is what `->>` reads).
 */
export function jsonRowsParam(rows: readonly (readonly unknown[])[]): string {
  return JSON.stringify(rows.map((row) => row.map(jsonRowValue)));
}

function jsonRowValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.toISOString();
  return value;
}
