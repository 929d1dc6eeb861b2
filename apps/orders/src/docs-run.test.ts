/**
 * Docs that run: every ```sh / ```bash block of docs/getting-started.md,
 * docs/sandbox.md and the README's quick-start ("Two commands", "What you see
 * after `npm start`") runs, in order, against a fresh `steadfast start`
 * (fresh STEADFAST_HOME, free ports, the sandbox on).
 *
 * Conventions a doc writer follows:
 * - `<!-- not-run: reason -->` on the line before a fence skips the block
 *   (only for `npm install` / `npm start` / `npm test` themselves). A not-run
 *   block `VAR=value … npm start` passes those variables to the service.
 * - One `bash -euo pipefail` per doc, from the repository root, with
 *   STEADFAST_HOME set to the service's home and `node` on PATH: variables
 *   carry from block to block. The docs define API, SANDBOX and KEY themselves;
 *   only `127.0.0.1:3000` / `127.0.0.1:3001` are replaced with the real ports.
 * - `# → 201` at the end of a command's last line: the last HTTP response of
 *   that command had that status. (curl runs with `-D <file>` added, and
 *   `-w '\n'` unless the command has its own -w.)
 * - A ```json or ```text block after a shell block (before the next one) is
 *   that block's documented output, unless `<!-- not-output: reason -->`
 *   precedes it. JSON is compared with the block's last JSON line: the same
 *   keys at every level, the same number of array elements, the same value
 *   types, and equal values only for keys like `status`, `type`, `stale`,
 *   `breaker` (output-shape.ts) — never ids or timestamps. Text is compared
 *   line by line with the block's whole stdout: `…` inside a line matches any
 *   text, a line of only `…` any number of lines.
 * - A failure names the doc, the block and the doc line.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@steadfast/toolkit/testing';
import { killAllChildren, makeHome, type RunningCli, startCli } from './runtime/spawn-cli.ts';
import { buildScript, extractBlocks, type ShellBlock, section } from './testing-docs/doc-blocks.ts';
import { compareOutput } from './testing-docs/output-shape.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Doc {
  file: string;
  blocks: ShellBlock[];
}

const readme = section(read('README.md'), '## Two commands', '## What you see after `npm start`');
const DOCS: Doc[] = [
  { file: 'docs/getting-started.md', blocks: extractBlocks(read('docs/getting-started.md')) },
  { file: 'docs/sandbox.md', blocks: extractBlocks(read('docs/sandbox.md')) },
  { file: 'README.md', blocks: extractBlocks(readme.text, readme.lineOffset) },
];

/** `VAR=value … npm start` in a not-run block: the environment the docs start the service with */
function startEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const doc of DOCS)
    for (const block of doc.blocks)
      for (const line of block.notRun ? block.lines : []) {
        const start = /^((?:[A-Z_]+=\S+\s+)+)npm start\b/.exec(line.trim());
        for (const pair of start ? start[1].trim().split(/\s+/) : []) {
          const [name, value] = pair.split('=');
          env[name] = value;
        }
      }
  return env;
}

let cli: RunningCli;
let home: string;
let sandboxPort: number;

before(async () => {
  home = path.join(makeHome(), '.steadfast');
  sandboxPort = await freePort();
  cli = await startCli({
    ...startEnv(),
    STEADFAST_HOME: home,
    PORT: String(await freePort()),
    SANDBOX_PORT: String(sandboxPort),
  });
});
after(async () => {
  await cli?.stop();
  killAllChildren();
  if (home) fs.rmSync(path.dirname(home), { recursive: true, force: true });
});

function run(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, STEADFAST_HOME: home };
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${env.PATH ?? ''}`;
  delete env.DATABASE_URL;
  return new Promise((resolve) => {
    const child = execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(child.exitCode ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** the text printed between `@@block <index>` and the next marker */
function perBlock(text: string): Map<string, string> {
  const parts = new Map<string, string>();
  let current = 'prelude';
  for (const line of text.split('\n')) {
    const marker = /^@@block (\S+)$/.exec(line);
    if (marker) current = marker[1];
    else parts.set(current, `${parts.get(current) ?? ''}${line}\n`);
  }
  return parts;
}

describe('docs that run', { timeout: 180_000 }, () => {
  test('the quick-start blocks that are not run are only npm install / start / test', () => {
    for (const doc of DOCS)
      for (const block of doc.blocks.filter((b) => b.notRun))
        for (const line of block.lines.filter((l) => l.trim() && !l.trim().startsWith('#')))
          assert.match(
            line,
            /\bnpm (install|start|test)\b/,
            `${doc.file}:${block.firstLine} is marked not-run`,
          );
  });

  for (const doc of DOCS) {
    test(`${doc.file}: every shell block runs and prints what the doc shows`, async (t) => {
      const runnable = doc.blocks.filter((b) => !b.notRun);
      if (runnable.length === 0) return t.skip('no runnable block');
      const api = new URL(cli.apiUrl);
      const { script, map } = buildScript(doc.blocks, (line) =>
        line
          .replaceAll('127.0.0.1:3000', `127.0.0.1:${api.port}`)
          .replaceAll('127.0.0.1:3001', `127.0.0.1:${sandboxPort}`),
      );
      const started = Date.now();
      const result = await run(script);
      t.diagnostic(`${doc.file}: ${runnable.length} blocks in ${Date.now() - started} ms`);
      const errors = perBlock(result.stderr);
      if (result.code !== 0) {
        const failed = [...result.stderr.matchAll(/@@failed line (\d+)/g)].at(-1);
        const where = failed ? map[Number(failed[1]) - 1] : undefined;
        const block = where ? doc.blocks[where.block] : undefined;
        const tail = (block ? (errors.get(String(block.index)) ?? '') : result.stderr).trim().slice(-3000);
        assert.fail(
          `${doc.file}: ${where ? `block at line ${block?.firstLine}, failed at line ${where.docLine}` : 'the script failed'} (exit ${result.code})\n${tail}`,
        );
      }
      const outputs = perBlock(result.stdout);
      const problems: string[] = [];
      for (const block of runnable)
        for (const shown of block.outputs)
          for (const problem of compareOutput(shown, outputs.get(String(block.index)) ?? ''))
            problems.push(
              `${doc.file}:${shown.line} (output of the block at line ${block.firstLine}): ${problem}`,
            );
      assert.deepEqual(problems, []);
    });
  }
});
