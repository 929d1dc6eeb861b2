/**
 * Fastify plugin: dated API versions on every included route.
 *
 * - `preValidation`: resolve the version (header, else `pinnedVersion`, else the
 *   newest; a bad one → 400 `version-unsupported`), refuse a version or endpoint
 *   past its sunset (410), and translate an older client's body UPWARDS before
 *   the route schema (the newest shape) validates it. Register it AFTER your
 *   authentication (so `pinnedVersion` sees the principal) and BEFORE the
 *   idempotency plugin (so a key's fingerprint is of the translated body).
 * - `onSend`: name the version in the response header, add the deprecation
 *   fields, and translate a JSON answer DOWNWARDS — Buffers and strings alike,
 *   parsed only when the version is older than the newest AND a change touches
 *   the route; the newest client's bytes are never touched. It reads
 *   `request.apiVersion` at send time: a handler may change it (e.g. a replay
 *   answering in the version of the request that created it).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import type { Clock } from '../ids/index.ts';
import { systemClock } from '../ids/index.ts';
import { ProblemError } from '../problems/index.ts';
import { deprecationHeaders } from './headers.ts';
import { createVersioningMetrics } from './metrics.ts';
import type { VersionUsage } from './usage-recorder.ts';
import { type ApiVersions, checkDeprecation, type Deprecation, type DeprecationTimes } from './versions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** the API version this request is answered in; undefined on routes the plugin does not include, or before it resolved */
    apiVersion: string | undefined;
    /** the answer's body is already in `apiVersion`'s shape (renderInVersion): onSend sends it as it is */
    apiVersionRendered: boolean;
  }
  interface FastifyContextConfig {
    /** this endpoint is deprecated (in every version): the deprecation fields, and 410 `endpoint-sunset` after `sunsetAt` */
    deprecated?: Deprecation;
  }
}

type Awaitable<T> = T | Promise<T>;

export interface ApiVersioningOptions {
  versions: ApiVersions;
  /** the version pinned for the request's principal (e.g. the tenant's), used when the header is absent */
  pinnedVersion?: (request: FastifyRequest) => Awaitable<string | undefined>;
  /** which requests are versioned (default: every request that matched a route) */
  include?: (request: FastifyRequest) => boolean;
  /** `steadfast_api_version_requests_total{version, deprecated}` */
  registry?: Registry;
  /** when sunsets happen (default the system clock) */
  clock?: Clock;
  /** count (partition, version) for "who still calls deprecated versions"; the plugin starts and stops the recorder */
  usage?: { recorder: VersionUsage; partitionOf: (request: FastifyRequest) => string | undefined };
}

const isJson = (contentType: string) => /^application\/([\w.-]+\+)?json\b/.test(contentType);

async function apiVersioningPlugin(app: FastifyInstance, options: ApiVersioningOptions) {
  const { versions, pinnedVersion, usage } = options;
  const clock = options.clock ?? systemClock;
  const include = options.include ?? ((request: FastifyRequest) => request.routeOptions.url !== undefined);
  const metrics = options.registry ? createVersioningMetrics(options.registry) : undefined;
  const headerName = versions.header.toLowerCase();
  /** per request: the deprecations its answer announces */
  const announced = new WeakMap<FastifyRequest, DeprecationTimes[]>();
  /** answers whose translation failed once: the 500 that follows goes out as it is */
  const failed = new WeakSet<FastifyRequest>();
  /** per route config: its deprecation, checked once */
  const routeDeprecations = new WeakMap<object, DeprecationTimes>();

  function routeDeprecation(request: FastifyRequest): DeprecationTimes | undefined {
    const config = request.routeOptions.config;
    if (!config?.deprecated) return undefined;
    let found = routeDeprecations.get(config);
    if (!found) {
      found = checkDeprecation(config.deprecated, `route ${request.routeOptions.url} config.deprecated`);
      routeDeprecations.set(config, found);
    }
    return found;
  }

  app.decorateRequest('apiVersion', undefined);
  app.decorateRequest('apiVersionRendered', false);
  // a malformed route deprecation fails at registration, not on its first request
  app.addHook('onRoute', (route) => {
    if (route.config?.deprecated)
      checkDeprecation(route.config.deprecated, `route ${route.url} config.deprecated`);
  });
  if (usage) {
    app.addHook('onReady', () => usage.recorder.start());
    app.addHook('onClose', () => usage.recorder.stop());
  }

  function admit(request: FastifyRequest, headerValue: string | undefined, pinned: string | undefined): void {
    const resolved = versions.resolve(headerValue, pinned);
    if (resolved.problem) throw resolved.problem;
    const { version } = resolved;
    const deprecations: DeprecationTimes[] = [];
    const ofVersion = versions.deprecationOf(version);
    const ofRoute = routeDeprecation(request);
    if (ofVersion) deprecations.push(ofVersion);
    if (ofRoute) deprecations.push(ofRoute);
    if (deprecations.length) announced.set(request, deprecations);
    metrics?.requests.inc({ version, deprecated: deprecations.length ? 'true' : 'false' });
    if (usage) {
      const partition = usage.partitionOf(request);
      if (partition !== undefined) usage.recorder.record(partition, version);
    }
    const nowMs = clock.now();
    if (ofVersion?.sunsetAtMs !== undefined && nowMs >= ofVersion.sunsetAtMs) {
      throw new ProblemError('version-sunset', {
        detail: `Version ${version} was switched off at ${new Date(ofVersion.sunsetAtMs).toISOString()}; send ${versions.header}: ${versions.newest} (the newest) or another supported version.`,
        extensions: { version, newestVersion: versions.newest, supportedVersions: [...versions.versions] },
      });
    }
    if (ofRoute?.sunsetAtMs !== undefined && nowMs >= ofRoute.sunsetAtMs) {
      throw new ProblemError('endpoint-sunset', {
        detail: `${request.method} ${request.routeOptions.url} was switched off at ${new Date(ofRoute.sunsetAtMs).toISOString()}; see ${ofRoute.link}.`,
      });
    }
    request.apiVersion = version;
    const route = request.routeOptions.url;
    if (request.body !== undefined && request.body !== null && route !== undefined) {
      if (versions.touches(version, request.method, route))
        request.body = versions.transformRequest(version, { method: request.method, route }, request.body);
    }
  }

  app.addHook('preValidation', (request, _reply, done) => {
    if (!include(request)) return done();
    const raw = request.headers[headerName];
    const headerValue = Array.isArray(raw) ? raw.join(', ') : raw;
    try {
      const pinned = headerValue === undefined ? pinnedVersion?.(request) : undefined;
      if (pinned instanceof Promise) {
        pinned.then((value) => admit(request, headerValue, value)).then(() => done(), done);
        return;
      }
      admit(request, headerValue, pinned);
    } catch (error) {
      return done(error as Error);
    }
    done();
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    const deprecations = announced.get(request);
    if (deprecations) setDeprecationHeaders(reply, deprecations);
    const version = request.apiVersion;
    if (version === undefined) return done(null, payload);
    reply.header(versions.header, version);
    const route = request.routeOptions.url;
    if (
      version === versions.newest ||
      route === undefined ||
      failed.has(request) ||
      request.apiVersionRendered
    )
      return done(null, payload);
    if (!versions.touches(version, request.method, route)) return done(null, payload);
    const contentType = String(reply.getHeader('content-type') ?? '');
    if (!isJson(contentType) || payload === null || payload === undefined) return done(null, payload);
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
      request.log.warn(
        { route, version },
        'a streamed JSON answer cannot be translated to an older API version',
      );
      return done(null, payload);
    }
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    if (text.length === 0) return done(null, payload);
    try {
      const body = versions.transformResponse(
        version,
        {
          method: request.method,
          route,
          status: reply.statusCode,
          problem: contentType.startsWith('application/problem+json'),
        },
        JSON.parse(text),
      );
      done(null, JSON.stringify(body));
    } catch (error) {
      failed.add(request);
      request.log.error(
        { err: error, route, version },
        'translating the answer to an older API version failed',
      );
      done(error as Error);
    }
  });
}

function setDeprecationHeaders(reply: FastifyReply, deprecations: readonly DeprecationTimes[]): void {
  const headers = deprecationHeaders(deprecations);
  reply.header('Deprecation', headers.Deprecation);
  if (headers.Sunset) reply.header('Sunset', headers.Sunset);
  const link = reply.getHeader('link');
  reply.header('Link', link ? `${String(link)}, ${headers.Link}` : headers.Link);
}

export const apiVersioning = fp(apiVersioningPlugin, { name: 'steadfast-api-versioning', fastify: '5.x' });

/**
 * A handler's answer rendered in the request's version, once: what an idempotency engine stores
 * (its `storedBody`), so a release that replays stored bytes as they are answers in the client's shape.
 * The request is marked, and onSend does not translate the same answer again.
 */
export function renderInVersion(versions: ApiVersions) {
  return (request: FastifyRequest, result: { status: number; body: unknown }): unknown => {
    const version = request.apiVersion;
    const route = request.routeOptions.url;
    if (version === undefined || version === versions.newest || route === undefined) return result.body;
    request.apiVersionRendered = true;
    return versions.transformResponse(
      version,
      { method: request.method, route, status: result.status, problem: result.status >= 400 },
      result.body,
    );
  };
}
