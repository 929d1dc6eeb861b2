/** A pino destination that keeps log lines in memory, for assertions on what was logged. */
import { Writable } from 'node:stream';

export interface LogCapture {
  stream: Writable;
  lines(): Record<string, unknown>[];
  text(): string;
}

export function createLogCapture(): LogCapture {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
