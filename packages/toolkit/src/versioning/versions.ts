/**
 * defineApiVersions: dated API versions (`YYYY-MM-DD`, oldest → newest). The
 * code implements the newest shape only; each older version is reached
 * through the declared version changes newer than it — request bodies
 * upwards (oldest change first), response bodies, events and the OpenAPI
 * document downwards (newest change first). Checked once, at definition.
 */
import { ProblemError } from '../problems/index.ts';
import {
  checkRouteKey,
  type JsonBody,
  type RequestChangeContext,
  type ResponseChangeContext,
  routeKey,
  type VersionChange,
} from './changes.ts';
import { isVersionDate, timestampMs } from './dates.ts';
import { type OpenApiDocument, versionDocument } from './openapi.ts';

export interface Deprecation {
  /** RFC 3339; may be in the future (announced) or the past */
  deprecatedAt: string;
  /** RFC 3339; from then on the answer is 410 */
  sunsetAt?: string;
  /** where to read about upgrading (the `Link: <…>; rel="deprecation"` target) */
  link: string;
}

/** A deprecation checked and turned into milliseconds. */
export interface DeprecationTimes {
  deprecatedAtMs: number;
  sunsetAtMs: number | undefined;
  link: string;
}

export interface ApiVersionsOptions {
  /** request and response header (default `Steadfast-Version`) */
  header?: string;
  /** oldest → newest, `YYYY-MM-DD`, strictly increasing */
  versions: readonly string[];
  changes?: readonly VersionChange[];
  deprecations?: Readonly<Record<string, Deprecation>>;
}

export type ResolvedVersion =
  | { version: string; source: 'header' | 'pinned' | 'newest'; problem?: undefined }
  | { problem: ProblemError; version?: undefined };

export interface ChangelogEntry {
  version: string;
  deprecation?: Deprecation;
  changes: { description: string; routes: readonly string[] }[];
}

export interface ApiVersions {
  header: string;
  versions: readonly string[];
  newest: string;
  /** the header's value first, else the pinned version, else the newest */
  resolve(headerValue: string | undefined, pinned?: string): ResolvedVersion;
  /** the version's declared deprecation, if any */
  deprecationOf(version: string): DeprecationTimes | undefined;
  /** true when a client on `version` needs some change on this route (so its bodies must be translated) */
  touches(version: string, method: string, route: string): boolean;
  transformRequest(version: string, at: { method: string; route: string }, body: JsonBody): JsonBody;
  transformResponse(
    version: string,
    at: { method: string; route: string; status: number; problem?: boolean },
    body: JsonBody,
  ): JsonBody;
  transformEvent(version: string, type: string, payload: JsonBody): JsonBody;
  /** the OpenAPI document of `version` (a copy): every change's schema transform on the routes it touches */
  documentFor<D extends object = OpenApiDocument>(version: string, document: D): D;
  /** newest first */
  changelog(): ChangelogEntry[];
}

export function checkDeprecation(value: Deprecation, where: string): DeprecationTimes {
  const deprecatedAtMs = timestampMs(value.deprecatedAt, `${where}.deprecatedAt`);
  const sunsetAtMs =
    value.sunsetAt === undefined ? undefined : timestampMs(value.sunsetAt, `${where}.sunsetAt`);
  if (sunsetAtMs !== undefined && sunsetAtMs < deprecatedAtMs)
    throw new Error(`${where}: sunsetAt ${value.sunsetAt} is before deprecatedAt ${value.deprecatedAt}`);
  if (typeof value.link !== 'string' || !/^(https?:\/\/|\/)\S+$/.test(value.link))
    throw new Error(`${where}: link must be an absolute URL or a path, got ${JSON.stringify(value.link)}`);
  return { deprecatedAtMs, sunsetAtMs, link: value.link };
}

export function defineApiVersions(options: ApiVersionsOptions): ApiVersions {
  const header = options.header ?? 'Steadfast-Version';
  const versions = [...options.versions];
  if (versions.length === 0) throw new Error('defineApiVersions: at least one version is required');
  versions.forEach((version, i) => {
    if (!isVersionDate(version))
      throw new Error(`defineApiVersions: version "${version}" is not a real date in YYYY-MM-DD form`);
    if (i > 0 && version <= versions[i - 1])
      throw new Error(
        `defineApiVersions: versions must be strictly increasing, "${version}" follows "${versions[i - 1]}"`,
      );
  });
  const newest = versions[versions.length - 1];
  const index = new Map(versions.map((v, i) => [v, i]));
  // in application order: by version, then as declared
  const changes = (options.changes ?? [])
    .map((change, declared) => {
      const where = `defineApiVersions: change "${change.description}"`;
      const at = index.get(change.version);
      if (at === undefined) throw new Error(`${where}: version ${change.version} is not in versions`);
      if (at === 0)
        throw new Error(`${where}: the first version (${change.version}) has nothing older to translate to`);
      if (!change.description)
        throw new Error(`defineApiVersions: a change of ${change.version} has no description`);
      if (change.routes.length === 0) throw new Error(`${where}: routes is empty`);
      for (const key of change.routes) checkRouteKey(key, where);
      return { change, at, declared };
    })
    .sort((a, b) => a.at - b.at || a.declared - b.declared)
    .map((c) => c.change);
  const deprecations = new Map<string, DeprecationTimes>();
  for (const [version, value] of Object.entries(options.deprecations ?? {})) {
    if (!index.has(version)) throw new Error(`defineApiVersions: deprecation of unknown version ${version}`);
    if (version === newest)
      throw new Error(`defineApiVersions: the newest version (${version}) cannot be deprecated`);
    deprecations.set(version, checkDeprecation(value, `defineApiVersions: deprecations["${version}"]`));
  }
  const supported = versions.join(', ');

  /** changes newer than `version`, oldest first */
  const newerThan = new Map(versions.map((v, i) => [v, changes.filter((c) => index.get(c.version)! > i)]));
  /** per version: route key → the changes touching it, oldest first (filled on first use) */
  const byRoute = new Map(versions.map((v) => [v, new Map<string, VersionChange[]>()]));

  function changesOf(version: string): VersionChange[] {
    const found = newerThan.get(version);
    if (!found) throw new Error(`unknown API version ${version}`);
    return found;
  }

  function routeChanges(version: string, method: string, route: string): VersionChange[] {
    const cache = byRoute.get(version);
    if (!cache) throw new Error(`unknown API version ${version}`);
    const key = routeKey(method, route);
    let found = cache.get(key);
    if (!found) {
      found = changesOf(version).filter((c) => c.routes.includes('*') || c.routes.includes(key));
      cache.set(key, found);
    }
    return found;
  }

  function unsupported(detail: string): ResolvedVersion {
    return {
      problem: new ProblemError('version-unsupported', {
        detail: `${detail} Supported versions: ${supported}.`,
        extensions: { supportedVersions: [...versions] },
        errors: [{ in: 'header', pointer: `/${header.toLowerCase()}`, message: detail }],
      }),
    };
  }

  function check(value: string, what: string): ResolvedVersion {
    if (index.has(value)) return { version: value, source: 'header' };
    if (value.trim() === '') return unsupported(`${what} is empty.`);
    if (!isVersionDate(value))
      return unsupported(`${what} ${JSON.stringify(value)} is not a date in YYYY-MM-DD form.`);
    if (value < versions[0])
      return unsupported(`${what} ${value} is older than the first version of this API (${versions[0]}).`);
    return unsupported(`${what} ${value} is not a version of this API.`);
  }

  return {
    header,
    versions,
    newest,
    resolve(headerValue, pinned) {
      if (headerValue !== undefined) return check(headerValue, header);
      if (pinned !== undefined) {
        const resolved = check(pinned, 'The pinned version');
        return resolved.problem ? resolved : { version: resolved.version, source: 'pinned' };
      }
      return { version: newest, source: 'newest' };
    },
    deprecationOf: (version) => deprecations.get(version),
    touches: (version, method, route) =>
      version !== newest && routeChanges(version, method, route).length > 0,
    transformRequest(version, at, body) {
      const context: RequestChangeContext = { version, method: at.method, route: at.route };
      for (const change of routeChanges(version, at.method, at.route))
        if (change.request) body = change.request(body, context);
      return body;
    },
    transformResponse(version, at, body) {
      const context: ResponseChangeContext = {
        version,
        method: at.method,
        route: at.route,
        status: at.status,
        problem: at.problem ?? false,
      };
      const found = routeChanges(version, at.method, at.route);
      for (let i = found.length - 1; i >= 0; i--) {
        const change = found[i];
        if (change.response) body = change.response(body, context);
      }
      return body;
    },
    transformEvent(version, type, payload) {
      const found = changesOf(version);
      for (let i = found.length - 1; i >= 0; i--) {
        const change = found[i];
        if (change.events) payload = change.events(type, payload);
      }
      return payload;
    },
    documentFor: (version, document) => versionDocument(version, changesOf(version), document),
    changelog: () =>
      [...versions].reverse().map((version) => {
        const deprecation = options.deprecations?.[version];
        return {
          version,
          ...(deprecation ? { deprecation } : {}),
          changes: changes
            .filter((c) => c.version === version)
            .map((c) => ({ description: c.description, routes: c.routes })),
        };
      }),
  };
}
