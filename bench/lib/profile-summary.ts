/**
 * Reads a V8 `.cpuprofile` and names where the time went: self time per
 * function (top N) and per area — the package a frame's file belongs to
 * (fastify, pg, pino, ajv, prom-client…), Steadfast's own blocks, Node's
 * internals, and V8's pseudo-frames (GC, idle, program).
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Cost {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  functions: Cost[];
  areas: Cost[];
  /** self time given to the nearest caller that is a package or Steadfast code (native and node: frames climb up) */
  owners: Cost[];
}

const borrowed = (area: string) => area.startsWith('node:') || area === '(native)';

/** the area a frame belongs to: a package name, a Steadfast block, node internals or a V8 pseudo-frame */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const block = url.match(/packages\/toolkit\/src\/([^/]+)\//);
  if (block) return `toolkit/${block[1]}`;
  const app = url.match(/apps\/orders\/src\/(?:([^/]+)\/)?/);
  if (app) return `orders/${app[1] ?? '.'}`;
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

export function summarize(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ownerOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { callFrame } = byId.get(at) as ProfileNode;
      const area = areaOf(callFrame.url, callFrame.functionName);
      if (!borrowed(area)) return area;
    }
    return '(node, no caller)';
  };
  const owners = new Map<string, number>();
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id) as ProfileNode;
    if (callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const where = callFrame.url ? `${callFrame.url.split('/').slice(-1)[0]}:${callFrame.lineNumber + 1}` : '';
    const fn = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    const area = areaOf(callFrame.url, callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const owner = ownerOf(id);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  const rank = (m: Map<string, number>, n: number): Cost[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: busyUs ? us / busyUs : 0 }));
  return {
    busyMs: Math.round(busyUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    functions: rank(functions, top),
    areas: rank(areas, top),
    owners: rank(owners, top),
  };
}
