/**
 * `npm run docs:sync`: rewrite every `<!-- snippet: <file>#<name> -->` code
 * block in the docs from its `// docs:start` / `// docs:end` region, so a
 * changed sample is one command away (packages/toolkit/src/docs.test.ts checks it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { docFiles, REPO, region, SNIPPET } from './snippets.ts';

let changed = 0;
for (const doc of docFiles()) {
  const lines = fs.readFileSync(doc, 'utf8').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const m = SNIPPET.exec(lines[i].trim());
    if (!m || !lines[i + 1]?.startsWith('```')) continue;
    const code = region(m[1], m[2]);
    if (code === undefined) throw new Error(`${path.relative(REPO, doc)}: ${m[1]} has no region ${m[2]}`);
    const close = lines.findIndex((l, j) => j > i + 1 && l.startsWith('```'));
    out.push(lines[i + 1], code, lines[close]);
    i = close;
  }
  const text = out.join('\n');
  if (text !== lines.join('\n')) {
    fs.writeFileSync(doc, text);
    changed++;
    process.stdout.write(`updated ${path.relative(REPO, doc)}\n`);
  }
}
process.stdout.write(`${changed} file(s) updated\n`);
