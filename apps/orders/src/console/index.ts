/**
 * The operations console at /console, for operator keys only. Signing in
 * with an operator key opens a session (cookie: HttpOnly, SameSite=Strict,
 * Secure over https, 30 min idle); every form carries the session's CSRF
 * token, and a POST without it changes nothing. Pages are server-rendered
 * HTML with one stylesheet and inline SVG charts: no script, no build step.
 */
import type { ApiKeyVerifier, AuthFailureThrottle } from '@steadfast/toolkit/auth';
import type { Clock, IdGenerator } from '@steadfast/toolkit/ids';
import type { Pool } from '@steadfast/toolkit/postgres';
import type { ProblemRegistry } from '@steadfast/toolkit/problems';
import { type ApiVersions, readVersionUsage } from '@steadfast/toolkit/versioning';
import type { FastifyInstance } from 'fastify';
import { listAudit } from '../admin/audit.ts';
import { createDeadLetterActions } from '../admin/dead-letter-actions.ts';
import { type Form, isSecure, ROUTE_OPTIONS, renderPage } from './context.ts';
import { registerDeadLetterPages } from './dead-letter-routes.ts';
import { messagePage } from './layout.ts';
import { auditBody } from './page-audit.ts';
import { type DependencyRow, dependenciesBody } from './page-dependencies.ts';
import { lineageBody, type TimelineView } from './page-lineage.ts';
import { versionsBody, versionsOff } from './page-versions.ts';
import { workBody } from './page-work.ts';
import { createConsoleSessions, parseCookies, SESSION_COOKIE, sameToken, sessionCookie } from './sessions.ts';
import { registerSignIn } from './sign-in-routes.ts';
import { readWork } from './work-queries.ts';

export interface ConsoleDeps {
  db: Pool;
  clock: Clock;
  ids: IdGenerator;
  registry: ProblemRegistry;
  verifier: ApiKeyVerifier;
  /** failed sign-ins count against the client address like failed API keys (429 page beyond the limit) */
  authFailures?: AuthFailureThrottle;
  /** the dependencies as the whole deployment saw them (per-minute history + each instance's state) */
  dependencies: (now: number) => Promise<DependencyRow[]>;
  /** the lineage timeline of a request id, idempotency key, order id or operation id */
  timeline?: (query: string, now: number) => Promise<TimelineView>;
  /** the API's dated versions: the "API versions" page (who still calls a deprecated one) */
  versions?: ApiVersions;
  /** an open operation older than this is stuck (default 5 min) */
  stuckAfterMs?: number;
  sessionTtlMs?: number;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};
const PUBLIC = new Set(['/console', '/console/sign-in', '/console/assets/console.css']);
export async function registerConsole(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const sessions = createConsoleSessions({ db: deps.db, clock: deps.clock, ttlMs: deps.sessionTtlMs });
  const actions = createDeadLetterActions({ ids: deps.ids, registry: deps.registry });
  const stuckAfterMs = deps.stuckAfterMs ?? 5 * 60_000;

  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.addHook('onRequest', async (_request, reply) => {
      reply.headers(SECURITY_HEADERS);
    });
    // a page needs a live session; a POST also the session's CSRF token
    scope.addHook('preHandler', async (request, reply) => {
      const path = request.routeOptions.url ?? '';
      if (PUBLIC.has(path)) return;
      const session = await sessions.find(parseCookies(request.headers.cookie)[SESSION_COOKIE]);
      if (!session) return reply.code(303).header('location', '/console?expired=1').send();
      if (
        request.method === 'POST' &&
        !sameToken((request.body as Form | undefined)?._csrf, session.csrfToken)
      ) {
        return reply
          .code(403)
          .type('text/html; charset=utf-8')
          .send(
            messagePage(
              'Form expired',
              'This form was not sent by a current console page; nothing was changed. Reload the page and try again.',
            ),
          );
      }
      if (session.renewed)
        reply.header(
          'set-cookie',
          sessionCookie(SESSION_COOKIE, parseCookies(request.headers.cookie)[SESSION_COOKIE], {
            maxAgeS: (session.expiresAt - deps.clock.now()) / 1000,
            secure: isSecure(request),
          }),
        );
      request.consoleSession = session;
    });

    registerSignIn(scope, {
      db: deps.db,
      verifier: deps.verifier,
      sessions,
      authFailures: deps.authFailures,
    });
    registerDeadLetterPages(scope, { db: deps.db, clock: deps.clock, actions });
    scope.get('/console/dependencies', ROUTE_OPTIONS, async (request, reply) => {
      const now = deps.clock.now();
      return renderPage(
        request,
        reply,
        'dependencies',
        'Dependencies',
        dependenciesBody(await deps.dependencies(now), now),
      );
    });
    scope.get('/console/work', ROUTE_OPTIONS, async (request, reply) => {
      const work = await readWork(deps.db, { now: deps.clock.now(), stuckAfterMs });
      return renderPage(request, reply, 'work', 'Work in flight', workBody(work, stuckAfterMs));
    });
    scope.get('/console/lineage', ROUTE_OPTIONS, async (request, reply) => {
      const query = ((request.query as Form).q ?? '').trim().slice(0, 200);
      const view = query && deps.timeline ? await deps.timeline(query, deps.clock.now()) : undefined;
      return renderPage(request, reply, 'lineage', 'Request lineage', lineageBody(query, view));
    });
    scope.get('/console/versions', ROUTE_OPTIONS, async (request, reply) => {
      if (!deps.versions) return renderPage(request, reply, 'versions', 'API versions', versionsOff());
      const usage = await readVersionUsage(deps.db, { versions: deps.versions });
      return renderPage(request, reply, 'versions', 'API versions', versionsBody(deps.versions, usage));
    });
    scope.get('/console/audit', ROUTE_OPTIONS, async (request, reply) => {
      const before = (request.query as Form).before;
      const entries = await listAudit(deps.db, {
        limit: 101,
        beforeId: before && /^\d{1,18}$/.test(before) ? before : undefined,
      });
      return renderPage(
        request,
        reply,
        'audit',
        'Audit',
        auditBody(entries.slice(0, 100), entries.length > 100 ? (entries[99]?.id ?? null) : null),
      );
    });
  });
}
