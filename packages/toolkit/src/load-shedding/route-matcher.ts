/**
 * A small router from Fastify route templates (`/api/notes/:id/archive`,
 * `/docs/*`) to one value per method, for the raw gate that runs before
 * Fastify. Segments: static (exact, case-sensitive) beats a parameter (any
 * non-empty segment; `:id(^\d+)` is a parameter too, its pattern is not
 * checked), which beats a trailing wildcard (the rest of the path). A HEAD
 * request without a HEAD route takes its GET route's value, as Fastify
 * answers it.
 */

interface Node<T> {
  static: Map<string, Node<T>>;
  param?: Node<T>;
  wildcard?: Map<string, T>;
  values: Map<string, T>;
}

const node = <T>(): Node<T> => ({ static: new Map(), values: new Map() });

export interface RouteMatcher<T> {
  /** add a route template for one method (a later add of the same method and template wins) */
  add(method: string, template: string, value: T): void;
  /** the value of the route that serves `method` + `path` (no query string), or undefined */
  find(method: string, path: string): T | undefined;
}

export function createRouteMatcher<T>(): RouteMatcher<T> {
  const root = node<T>();

  const lookup = (at: Node<T>, segments: string[], i: number, method: string): T | undefined => {
    if (i === segments.length) return at.values.get(method);
    const segment = segments[i];
    const child = at.static.get(segment);
    const fromStatic = child ? lookup(child, segments, i + 1, method) : undefined;
    if (fromStatic !== undefined) return fromStatic;
    const fromParam = at.param && segment !== '' ? lookup(at.param, segments, i + 1, method) : undefined;
    if (fromParam !== undefined) return fromParam;
    return at.wildcard?.get(method);
  };

  return {
    add(method, template, value) {
      let at = root;
      const segments = template.split('/');
      for (const [i, segment] of segments.entries()) {
        if (segment === '*' && i === segments.length - 1) {
          at.wildcard ??= new Map();
          at.wildcard.set(method, value);
          return;
        }
        if (segment.includes(':') || segment.includes('*')) {
          at.param ??= node();
          at = at.param;
        } else {
          let next = at.static.get(segment);
          if (!next) {
            next = node();
            at.static.set(segment, next);
          }
          at = next;
        }
      }
      at.values.set(method, value);
    },
    find(method, path) {
      const segments = path.split('/');
      const found = lookup(root, segments, 0, method);
      return found === undefined && method === 'HEAD' ? lookup(root, segments, 0, 'GET') : found;
    },
  };
}
