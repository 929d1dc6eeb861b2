/** A console visitor for tests: keeps the cookies it is given, reads the CSRF token of the last page, posts forms. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export interface ConsoleVisitor {
  cookies: Map<string, string>;
  lastCsrf: string | undefined;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  post(
    url: string,
    form: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** the sign-in page, then the form with this key */
  signIn(key: string): Promise<LightMyRequestResponse>;
}

export function csrfOf(body: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
}

export function consoleVisitor(server: FastifyInstance): ConsoleVisitor {
  const cookies = new Map<string, string>();
  const remember = (response: LightMyRequestResponse) => {
    for (const c of response.cookies) {
      if (c.maxAge === 0 || c.value === '') cookies.delete(c.name);
      else cookies.set(c.name, c.value);
    }
    if (String(response.headers['content-type'] ?? '').startsWith('text/html')) {
      const token = csrfOf(response.body);
      if (token) visitor.lastCsrf = token;
    }
    return response;
  };
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const visitor: ConsoleVisitor = {
    cookies,
    lastCsrf: undefined,
    async get(url, headers = {}) {
      return remember(
        await server.inject({ method: 'GET', url, headers: { cookie: cookieHeader(), ...headers } }),
      );
    },
    async post(url, form, headers = {}) {
      return remember(
        await server.inject({
          method: 'POST',
          url,
          headers: {
            cookie: cookieHeader(),
            'content-type': 'application/x-www-form-urlencoded',
            ...headers,
          },
          payload: new URLSearchParams(form).toString(),
        }),
      );
    },
    async signIn(key) {
      await visitor.get('/console');
      return visitor.post('/console/sign-in', { key, _csrf: visitor.lastCsrf ?? '' });
    },
  };
  return visitor;
}
