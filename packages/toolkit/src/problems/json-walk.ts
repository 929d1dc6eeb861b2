/**
 * One iterative (explicit stack, no recursion) walk over a JSON-like value, so
 * input nested however deep cannot overflow the call stack. The body rules of
 * `jsonBody` and the idempotency fingerprint's canonical JSON both use it.
 */

export type JsonPathSegment = string | number;

export interface JsonStep {
  /** the member name (object) or index (array) of this value in its parent; undefined for the root */
  key: JsonPathSegment | undefined;
  /** false for the first member of its parent (and the root) */
  hasPrevious: boolean;
  /** true when the parent is an array */
  inArray: boolean;
  /** how many containers hold this value: the root is at 0, its members at 1 */
  depth: number;
  /** keys from the root to this value; live — copy it to keep it */
  path: readonly JsonPathSegment[];
}

export interface JsonVisitor {
  /** every value, containers before their members; `'skip'` leaves a container's members out, `'stop'` ends the walk */
  enter(value: unknown, step: JsonStep): undefined | 'skip' | 'stop';
  /** after a container's members (not called for skipped containers) */
  leave?(value: object, isArray: boolean): void;
}

export interface JsonWalkOptions {
  /** visit object members in sorted key order (canonical JSON) */
  sortKeys?: boolean;
}

interface Frame {
  container: Record<string, unknown> | unknown[];
  isArray: boolean;
  keys: string[] | undefined;
  next: number;
  emitted: number;
}

/** Object members whose value is undefined are left out, as JSON.stringify does; a cycle throws a TypeError. */
export function walkJson(root: unknown, visitor: JsonVisitor, options: JsonWalkOptions = {}): void {
  const path: JsonPathSegment[] = [];
  const stack: Frame[] = [];
  const open = new Set<object>();

  const visit = (value: unknown, key: JsonPathSegment | undefined, parent: Frame | undefined): boolean => {
    const verdict = visitor.enter(value, {
      key,
      hasPrevious: parent !== undefined && parent.emitted > 0,
      inArray: parent?.isArray ?? false,
      depth: stack.length,
      path,
    });
    if (parent) parent.emitted++;
    if (verdict === 'stop') return false;
    if (value === null || typeof value !== 'object' || verdict === 'skip') return true;
    if (open.has(value)) throw new TypeError('cannot walk a cyclic structure');
    open.add(value);
    const isArray = Array.isArray(value);
    let keys: string[] | undefined;
    if (!isArray) {
      keys = Object.keys(value);
      if (options.sortKeys) keys.sort();
    }
    stack.push({ container: value as Frame['container'], isArray, keys, next: 0, emitted: 0 });
    return true;
  };

  if (!visit(root, undefined, undefined)) return;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const size = frame.isArray ? (frame.container as unknown[]).length : (frame.keys?.length ?? 0);
    if (frame.next >= size) {
      stack.pop();
      open.delete(frame.container);
      if (stack.length > 0) path.pop();
      visitor.leave?.(frame.container, frame.isArray);
      continue;
    }
    const index = frame.next++;
    const key: JsonPathSegment = frame.isArray ? index : (frame.keys as string[])[index];
    const child = frame.isArray
      ? (frame.container as unknown[])[index]
      : (frame.container as Record<string, unknown>)[key];
    if (!frame.isArray && child === undefined) continue;
    path.push(key);
    const before = stack.length;
    if (!visit(child, key, frame)) return;
    // a primitive (or skipped container) is done at once: its path segment goes now
    if (stack.length === before) path.pop();
  }
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export function jsonPointer(path: readonly JsonPathSegment[]): string {
  return path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
