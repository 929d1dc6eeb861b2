/**
 * Doc snippets: a `<!-- snippet: <file>#<name> -->` line before a code fence in
 * a doc names the region between `// docs:start <name>` and `// docs:end <name>`
 * in that file (paths from the repository root). Shared by the docs test
 * (`packages/toolkit/src/docs.test.ts`) and `npm run docs:sync`.
 */
import fs from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..');
export const SNIPPET = /^<!-- snippet: (\S+)#(\S+) -->$/;

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    return d.isDirectory() ? markdownFiles(full) : d.name.endsWith('.md') ? [full] : [];
  });
}

/** Every doc with samples: docs/, the README, and the packages' and examples' READMEs. */
export function docFiles(): string[] {
  const readmes = ['packages', 'examples'].flatMap((top) =>
    fs
      .readdirSync(path.join(REPO, top))
      .map((d) => path.join(REPO, top, d, 'README.md'))
      .filter((f) => fs.existsSync(f)),
  );
  return [...markdownFiles(path.join(REPO, 'docs')), path.join(REPO, 'README.md'), ...readmes];
}

/** The region's lines, dedented to their least indentation; undefined when the file has no such region. */
export function region(file: string, name: string): string | undefined {
  const lines = fs.readFileSync(path.resolve(REPO, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === `// docs:start ${name}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === `// docs:end ${name}`);
  if (start < 0 || end < 0) return undefined;
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
}
