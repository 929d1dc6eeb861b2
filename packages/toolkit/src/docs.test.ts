/**
 * The docs' code samples are tested code: every fenced block that follows a
 * `<!-- snippet: <file>#<name> -->` line in docs/ or README.md must equal,
 * line for line, the region between `// docs:start <name>` and
 * `// docs:end <name>` in that file (paths relative to the repository root),
 * every TypeScript fence is such a snippet, and every block has its page in
 * docs/toolkit/ with at least one snippet. (Also the packages' and examples' READMEs.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { docFiles, REPO, region, SNIPPET } from '../../../scripts/snippets.ts';

const SRC = path.resolve(import.meta.dirname);

interface Snippet {
  doc: string;
  file: string;
  name: string;
  code: string;
}

function snippetsOf(doc: string): Snippet[] {
  const lines = fs.readFileSync(doc, 'utf8').split('\n');
  const found: Snippet[] = [];
  lines.forEach((line, i) => {
    const m = SNIPPET.exec(line.trim());
    if (!m) return;
    const open = i + 1;
    assert.match(
      lines[open] ?? '',
      /^```/,
      `${path.relative(REPO, doc)}:${open + 1}: a code fence follows the snippet line`,
    );
    const close = lines.findIndex((l, j) => j > open && l.startsWith('```'));
    found.push({ doc, file: m[1], name: m[2], code: lines.slice(open + 1, close).join('\n') });
  });
  return found;
}

describe('docs', () => {
  const docs = docFiles();

  test('every TypeScript sample is a snippet of tested code', () => {
    const untested = docs.flatMap((doc) => {
      const lines = fs.readFileSync(doc, 'utf8').split('\n');
      return lines.flatMap((line, i) =>
        /^```(ts|typescript|js|javascript)\s*$/.test(line) && !SNIPPET.test((lines[i - 1] ?? '').trim())
          ? [`${path.relative(REPO, doc)}:${i + 1}`]
          : [],
      );
    });
    assert.deepEqual(untested, []);
  });

  test('every snippet equals its region in the tested source', () => {
    const wrong = docs.flatMap(snippetsOf).flatMap((s) => {
      const file = path.join(REPO, s.file);
      const where = `${path.relative(REPO, s.doc)} → ${s.file}#${s.name}`;
      if (!fs.existsSync(file)) return [`${where}: no such file`];
      const code = region(file, s.name);
      if (code === undefined) return [`${where}: no docs:start/docs:end region`];
      return code === s.code ? [] : [`${where}: the sample differs from the code`];
    });
    assert.deepEqual(wrong, []);
  });

  test('every block has its page in docs/toolkit with a tested sample', () => {
    const blocks = fs
      .readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    const missing = blocks.filter((block) => {
      const page = path.join(REPO, 'docs', 'toolkit', `${block}.md`);
      return !fs.existsSync(page) || snippetsOf(page).length === 0;
    });
    assert.deepEqual(missing, []);
  });
});
