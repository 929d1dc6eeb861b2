/** Signing in with an operator key (a tenant key is refused), signing out, and the stylesheet. */
import { readFileSync } from 'node:fs';
import type { ApiKeyVerifier, AuthFailureThrottle } from '@steadfast/toolkit/auth';
import { type Pool, withTransaction } from '@steadfast/toolkit/postgres';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { writeAudit } from '../admin/audit.ts';
import { consoleActor, type Form, isSecure, ROUTE_OPTIONS, sendHtml } from './context.ts';
import { type Flash, signInPage } from './layout.ts';
import {
  type ConsoleSessions,
  newToken,
  parseCookies,
  SESSION_COOKIE,
  SIGN_IN_COOKIE,
  sameToken,
  sessionCookie,
} from './sessions.ts';

const CSS = readFileSync(new URL('./assets/console.css', import.meta.url), 'utf8');

export function registerSignIn(
  scope: FastifyInstance,
  deps: { db: Pool; verifier: ApiKeyVerifier; sessions: ConsoleSessions; authFailures?: AuthFailureThrottle },
): void {
  const { sessions } = deps;
  const signIn = (request: FastifyRequest, reply: FastifyReply, flash?: Flash, status = 200) => {
    const token = newToken();
    reply.header(
      'set-cookie',
      sessionCookie(SIGN_IN_COOKIE, token, { maxAgeS: 600, secure: isSecure(request) }),
    );
    return sendHtml(reply, signInPage({ csrfToken: token, flash }), status);
  };

  scope.get('/console/assets/console.css', ROUTE_OPTIONS, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(CSS),
  );
  scope.get('/console', ROUTE_OPTIONS, async (request, reply) => {
    if (await sessions.find(parseCookies(request.headers.cookie)[SESSION_COOKIE]))
      return reply.code(303).header('location', '/console/dependencies').send();
    const q = request.query as Form;
    return signIn(
      request,
      reply,
      q.expired
        ? { kind: 'error', text: 'Your session ended; sign in again.' }
        : q.out
          ? { kind: 'ok', text: 'Signed out.' }
          : undefined,
    );
  });
  scope.post('/console/sign-in', ROUTE_OPTIONS, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    if (!sameToken(form._csrf, parseCookies(request.headers.cookie)[SIGN_IN_COOKIE]))
      return signIn(request, reply, { kind: 'error', text: 'The sign-in form expired; try again.' }, 403);
    // failed sign-ins count against the address like failed API keys: no guessing keys here either
    const retryAfterS = deps.authFailures?.retryAfterS(request.ip);
    if (retryAfterS !== undefined) {
      reply.header('retry-after', String(retryAfterS));
      const text = `Too many failed sign-ins from this address; try again in ${retryAfterS} s.`;
      return signIn(request, reply, { kind: 'error', text }, 429);
    }
    const key = (form.key ?? '').trim();
    const principal = key ? await deps.verifier.verify(key) : undefined;
    if (principal?.kind !== 'operator') {
      deps.authFailures?.recordFailure(request.ip);
      const text = principal
        ? 'That is a tenant key: the console is for operator keys only.'
        : 'That key is not valid.';
      return signIn(request, reply, { kind: 'error', text }, 401);
    }
    // the session and its audit row together
    const opened = await withTransaction(deps.db, async (tx) => {
      const session = await sessions.open(principal.operatorId, principal.keyId, tx);
      await writeAudit(
        tx,
        { who: `operator:${principal.operatorId}`, via: 'console' },
        'console.sign-in',
        principal.keyId,
      );
      return session;
    });
    return reply
      .code(303)
      .header('set-cookie', [
        sessionCookie(SESSION_COOKIE, opened.token, {
          maxAgeS: sessions.ttlMs / 1000,
          secure: isSecure(request),
        }),
        sessionCookie(SIGN_IN_COOKIE, '', { maxAgeS: 0, secure: isSecure(request) }),
      ])
      .header('location', '/console/dependencies')
      .send();
  });
  scope.post('/console/sign-out', ROUTE_OPTIONS, async (request, reply) => {
    await withTransaction(deps.db, async (tx) => {
      await sessions.close(parseCookies(request.headers.cookie)[SESSION_COOKIE] ?? '', tx);
      await writeAudit(tx, consoleActor(request), 'console.sign-out', null);
    });
    return reply
      .code(303)
      .header('set-cookie', sessionCookie(SESSION_COOKIE, '', { maxAgeS: 0, secure: isSecure(request) }))
      .header('location', '/console?out=1')
      .send();
  });
}
