/**
 * Stand-ins for the gate's tests (gate-admit.test.ts, server-factory.test.ts):
 * a limiter that records every call, requests and responses without a socket.
 * Test support, not part of the package (excluded from the build).
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConcurrencyLimiter } from './limiter.ts';

/** admits while `room` lasts; records every call */
export function recordingLimiter(room = 1) {
  const calls: string[] = [];
  let inflight = 0;
  const limiter: ConcurrencyLimiter = {
    limit: () => room,
    inflight: () => inflight,
    admits: (c) => {
      calls.push(`admits ${c}`);
      return inflight < room;
    },
    tryAcquire: (c) => {
      calls.push(`tryAcquire ${c}`);
      if (inflight >= room) return false;
      inflight++;
      return true;
    },
    release: (ms) => {
      calls.push(`release ${ms}`);
      inflight--;
    },
  };
  return { limiter, calls };
}

export const request = (url?: string, method?: string) =>
  ({ url, method, headers: {} }) as unknown as IncomingMessage;

export function response() {
  const res = Object.assign(new EventEmitter(), {
    writableFinished: false,
    status: 0,
    headers: [] as string[],
    body: '',
    writeHead(status: number, headers: string[]) {
      res.status = status;
      res.headers = headers;
    },
    end(body: string) {
      res.body = body;
    },
  });
  return res;
}
export const asRes = (r: ReturnType<typeof response>) => r as unknown as ServerResponse;
