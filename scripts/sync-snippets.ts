/**
 * `npm run docs:sync`: rewrite every `<!-- snippet: <file>#<name> -->` code
 * block in docs/ and README.md from its `// docs:start` / `// docs:end` region,
 * so a changed sample is one command away (packages/toolkit/src/docs.test.ts checks it).
 */
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..');

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    return d.isDirectory() ? markdownFiles(full) : d.name.endsWith('.md') ? [full] : [];
  });
}

function region(file: string, name: string): string {
  const lines = fs.readFileSync(path.join(REPO, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === `// docs:start ${name}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === `// docs:end ${name}`);
  if (start < 0 || end < 0) throw new Error(`${file}: no region ${name}`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n');
}

let changed = 0;
const readmes = ['packages', 'examples'].flatMap((top) =>
  fs
    .readdirSync(path.join(REPO, top))
    .map((d) => path.join(REPO, top, d, 'README.md'))
    .filter((f) => fs.existsSync(f)),
);
for (const doc of [...markdownFiles(path.join(REPO, 'docs')), path.join(REPO, 'README.md'), ...readmes]) {
  const lines = fs.readFileSync(doc, 'utf8').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const m = /^<!-- snippet: (\S+)#(\S+) -->$/.exec(lines[i].trim());
    if (!m || !lines[i + 1]?.startsWith('```')) continue;
    const close = lines.findIndex((l, j) => j > i + 1 && l.startsWith('```'));
    out.push(lines[i + 1], region(m[1], m[2]), lines[close]);
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
