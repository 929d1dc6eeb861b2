/** What every console route shares: rendering a page with its flash message, the acting operator, the session. */
import { HIDDEN_FROM_OPENAPI } from '@steadfast/toolkit/problems';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../admin/audit.ts';
import { type Flash, page, type Section } from './layout.ts';
import type { ConsoleSession } from './sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: ConsoleSession;
  }
}

export type Form = Record<string, string | undefined>;

/** messages a redirect names by code (`?done=replayed&id=…`), so no text travels in a URL */
export const FLASHES: Record<string, (id: string) => Flash> = {
  replayed: (id) => ({
    kind: 'ok',
    text: `Dead letter ${id} replayed: its job runs again with fresh attempts.`,
  }),
  discarded: (id) => ({ kind: 'ok', text: `Dead letter ${id} discarded.` }),
  bulk: (n) => ({ kind: 'ok', text: `${n} dead letters replayed.` }),
  nothing: () => ({ kind: 'error', text: 'Nothing to replay: no open dead letter matches.' }),
  'not-found': (id) => ({ kind: 'error', text: `No dead letter ${id}.` }),
  closed: (id) => ({ kind: 'error', text: `Dead letter ${id} was already replayed or discarded.` }),
  invalid: () => ({ kind: 'error', text: 'The form was incomplete: a task and a valid time are needed.' }),
  'reason-needed': () => ({ kind: 'error', text: 'A reason is needed to discard a dead letter.' }),
};

/** the message a redirect named: only a known code, and only an id-shaped value (never free text from a URL) */
export function flashOf(code: string | undefined, id: string | undefined): Flash | undefined {
  if (!code || !Object.hasOwn(FLASHES, code)) return undefined;
  const value = id && /^(dl_[A-Za-z0-9]{1,60}|\d{1,6})$/.test(id) ? id : '';
  return FLASHES[code](value);
}

/** console routes are not part of the API: hidden from the OpenAPI document */
export const ROUTE_OPTIONS = { schema: HIDDEN_FROM_OPENAPI };

export function sendHtml(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

/** the signed-in session of a request past the console's session hook */
export function sessionOf(request: FastifyRequest): ConsoleSession {
  const session = request.consoleSession;
  if (!session) throw new Error('a console page was served without a session');
  return session;
}

export function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  section: Section,
  title: string,
  body: Parameters<typeof page>[0]['body'],
): FastifyReply {
  const session = sessionOf(request);
  const q = request.query as Form;
  const flash = flashOf(q.done ?? q.error, q.id);
  return sendHtml(
    reply,
    page({ title, section, operatorName: session.operatorName, csrfToken: session.csrfToken, flash, body }),
  );
}

export function consoleActor(request: FastifyRequest): Actor {
  return { who: `operator:${sessionOf(request).operatorId}`, via: 'console' };
}

export const isSecure = (request: FastifyRequest) => request.protocol === 'https';

/** a 303 to a console page */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).send();
}
