/**
 * Apply a partner's chaos to its requests (Fastify hooks on the partner's
 * scope). Control paths (`/_chaos`, `/_webhooks`, `/ledger`) are never faulted.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { partnerError } from '../errors.ts';
import type { ChaosState } from './chaos-state.ts';
import type { ChaosRule } from './config.ts';

declare module 'fastify' {
  interface FastifyRequest {
    chaosAfter: ChaosRule | undefined;
  }
}

const CONTROL = /\/(_chaos|_webhooks|ledger)$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HeldSockets {
  add(request: FastifyRequest): void;
  destroyAll(): void;
}

export function createHeldSockets(): HeldSockets {
  const held = new Set<FastifyRequest>();
  return {
    add: (request) => {
      held.add(request);
      request.raw.socket.once('close', () => held.delete(request));
    },
    destroyAll: () => {
      for (const request of held) request.raw.socket.destroy();
      held.clear();
    },
  };
}

function trickle(payload: string, durationMs: number): Readable {
  const chunks = Math.max(1, Math.min(payload.length, 20));
  const size = Math.ceil(payload.length / chunks);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= payload.length) return this.push(null);
      const chunk = payload.slice(sent, sent + size);
      sent += size;
      setTimeout(() => this.push(chunk), durationMs / chunks);
    },
  });
}

export function installChaos(app: FastifyInstance, chaos: ChaosState, held: HeldSockets): void {
  app.decorateRequest('chaosAfter', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    if (CONTROL.test(path)) return;
    const { latencyMs, fault } = chaos.decide(request.method, path);
    if (latencyMs > 0) await sleep(latencyMs);
    if (!fault) return;
    switch (fault.fault) {
      case 'error':
        return reply
          .code(fault.status ?? 500)
          .send(fault.body ?? partnerError('api_error', 'internal_error', 'The partner failed (injected).'));
      case 'rate-limit':
        return reply
          .code(429)
          .header('Retry-After', String(fault.retryAfterS ?? 1))
          .send(partnerError('rate_limit_error', 'rate_limited', 'Too many requests (injected).'));
      case 'hang':
        held.add(request);
        reply.hijack();
        return;
      case 'reset':
        reply.hijack();
        request.raw.socket.destroy();
        return;
      default:
        request.chaosAfter = fault; // lost-response, malformed, slow-body: after the work is done
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const fault = request.chaosAfter;
    if (!fault) return payload;
    if (fault.fault === 'lost-response') {
      request.raw.socket.destroy();
      return payload;
    }
    if (fault.fault === 'malformed') {
      reply.code(200).header('content-type', 'application/json');
      return fault.variant === 'missing-fields' ? '{"unexpected":true}' : '{"id": "ch_tr';
    }
    reply.removeHeader('content-length');
    return trickle(String(payload ?? ''), fault.durationMs ?? 2000);
  });
}
