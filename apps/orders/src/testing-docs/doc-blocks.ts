/**
 * Shell blocks of a markdown page and the outputs they document, for
 * `docs-run.test.ts`. See the conventions at the top of that test.
 */

export interface OutputBlock {
  kind: 'json' | 'text';
  text: string;
  /** 1-based line of the opening fence */
  line: number;
}

export interface ShellBlock {
  index: number;
  /** the lines inside the fence, indentation of the fence removed */
  lines: string[];
  /** 1-based line of the first line inside the fence */
  firstLine: number;
  /** set by `<!-- not-run: reason -->` on the line before the fence */
  notRun?: string;
  outputs: OutputBlock[];
}

const FENCE = /^(\s*)```(\w*)\s*$/;

/** Every ```sh / ```bash block in `markdown`; json/text blocks after one (before the next) are its outputs. */
export function extractBlocks(markdown: string, lineOffset = 0): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j].trim() !== '```') {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
      j++;
    }
    const before = i > 0 ? lines[i - 1].trim() : '';
    const marker = /^<!--\s*(not-run|not-output):\s*(.*?)\s*-->$/.exec(before);
    if (lang === 'sh' || lang === 'bash') {
      blocks.push({
        index: blocks.length,
        lines: body,
        firstLine: lineOffset + i + 2,
        notRun: marker?.[1] === 'not-run' ? marker[2] || 'no reason' : undefined,
        outputs: [],
      });
    } else if ((lang === 'json' || lang === 'text') && marker?.[1] !== 'not-output' && blocks.length > 0) {
      blocks[blocks.length - 1].outputs.push({ kind: lang, text: body.join('\n'), line: lineOffset + i + 1 });
    }
    i = j;
  }
  return blocks;
}

/** The part of `markdown` from the heading `from` up to the next `## ` heading after the heading `through`. */
export function section(
  markdown: string,
  from: string,
  through: string,
): { text: string; lineOffset: number } {
  const lines = markdown.split('\n');
  const start = lines.indexOf(from);
  const last = lines.indexOf(through);
  if (start < 0 || last < start) throw new Error(`no section ${from} … ${through}`);
  let end = last + 1;
  while (end < lines.length && !lines[end].startsWith('## ')) end++;
  return { text: lines.slice(start, end).join('\n'), lineOffset: start };
}

export interface ScriptLine {
  block: number;
  docLine: number;
}

/**
 * One bash script for all runnable blocks of a page: a marker before each
 * block, and after every line ending in `# → NNN` a check of the last
 * response's status. `map[n]` tells which block and doc line script line n+1 is.
 */
export function buildScript(
  blocks: ShellBlock[],
  substitute: (line: string) => string,
): { script: string; map: (ScriptLine | undefined)[] } {
  const out: string[] = [];
  const map: (ScriptLine | undefined)[] = [];
  const emit = (text: string, where?: ScriptLine) => {
    out.push(text);
    map.push(where);
  };
  for (const line of PRELUDE.split('\n')) emit(line);
  for (const block of blocks) {
    if (block.notRun) continue;
    emit(`__block ${block.index}`, { block: block.index, docLine: block.firstLine });
    block.lines.forEach((line, n) => {
      const where = { block: block.index, docLine: block.firstLine + n };
      emit(substitute(line), where);
      const status = /#\s*→\s*(\d{3})\s*$/.exec(line);
      if (status) emit(`__expect_status ${status[1]}`, where);
    });
  }
  emit('__block end');
  return { script: out.join('\n'), map };
}

/** curl gets `-D` (headers to a file, for `# → NNN`) and, without its own -w, a newline after the body. */
const PRELUDE = `__headers=$(mktemp)
trap 'echo "@@failed line $LINENO (exit $?)" >&2' ERR
curl() {
  : > "$__headers"
  case " $* " in
    *" -w "* | *" --write-out "*) command curl -D "$__headers" "$@" ;;
    *) command curl -D "$__headers" -w '\\n' "$@" ;;
  esac
}
__expect_status() {
  local got
  got=$(grep -a '^HTTP/' "$__headers" | tail -n 1 | cut -d ' ' -f 2)
  if [ "$got" != "$1" ]; then echo "@@expected HTTP $1, got \${got:-no response}" >&2; return 1; fi
}
__block() { printf '\\n@@block %s\\n' "$1"; printf '\\n@@block %s\\n' "$1" >&2; }`;
