/** `npm run bench -- <name>`: runs bench/<name>.ts. Its last line of output is one JSON object. */
import fs from 'node:fs';
import path from 'node:path';

const name = process.argv[2];
const available = fs
  .readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.replace(/\.ts$/, ''));
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}\n`);
  process.exit(2);
}
const bench = (await import(path.join(import.meta.dirname, `${name}.ts`))) as {
  run(args: string[]): Promise<void>;
};
await bench.run(process.argv.slice(3));
