/**
 * Load shedding before Fastify: `createLoadShedding(options)` gives
 * `serverFactory`, for Fastify's option of that name (the HTTP/1 server
 * Fastify would create, with the gate in front of its handler), and `plugin`,
 * which teaches the gate the app's routes (register it before them) and
 * flushes the shedding summary when the app closes.
 *
 * A refusal never reaches Fastify: no request or reply object, no hooks, no
 * error handler, no log line — about the cost of a bare Node handler. So
 * under overload the refusals leave the CPU to the admitted work. Requests
 * sent with `app.inject` do not pass through a server, so they are never shed.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { createGate, type GateOptions } from './gate.ts';
import type { Criticality } from './limiter.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** load shedding: how early this route is shed under pressure (`exempt`: never) */
    criticality?: Criticality;
  }
}

export type LoadSheddingOptions = GateOptions;

/** the options Fastify passes to a `serverFactory` (its own, after defaults) */
export interface ServerFactoryOptions {
  http?: ServerOptions | null;
  https?: unknown;
  http2?: boolean;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number | null;
}

export type RawHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface LoadShedding {
  /** `Fastify({ serverFactory })`: Fastify's own HTTP/1 server, the gate in front */
  serverFactory(handler: RawHandler, options: ServerFactoryOptions): Server;
  /** register before the routes: each route's criticality is computed once, when it is added */
  plugin: FastifyPluginAsync;
  /**
   * give an admitted request's slot back now, without a latency sample (`request.raw`'s
   * response: `reply.raw`), e.g. a refusal held by the rate limiter, so held refusals never
   * crowd out other work nor teach the limit that the service got slow
   */
  giveBack(res: ServerResponse): void;
}

export function createLoadShedding(options: LoadSheddingOptions): LoadShedding {
  const gate = createGate(options);
  let registered = false;

  async function loadSheddingPlugin(app: FastifyInstance) {
    if (registered) throw new Error('createLoadShedding: the plugin is registered twice; create one per app');
    registered = true;
    gate.useLog(app.log);
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) gate.addRoute({ method, url: route.url, config: route.config });
    });
    app.addHook('onClose', async () => gate.close());
  }

  return {
    serverFactory(handler, factoryOptions) {
      if (factoryOptions.https || factoryOptions.http2)
        throw new Error('createLoadShedding: serverFactory makes HTTP/1 servers only (no https, no http2)');
      // as Fastify's getServerInstance does without a serverFactory
      const server = createServer(factoryOptions.http ?? {}, (req, res) => {
        if (gate.admit(req, res)) handler(req, res);
      });
      if (factoryOptions.keepAliveTimeout !== undefined)
        server.keepAliveTimeout = factoryOptions.keepAliveTimeout;
      if (factoryOptions.requestTimeout !== undefined) server.requestTimeout = factoryOptions.requestTimeout;
      server.setTimeout(factoryOptions.connectionTimeout ?? 0);
      // zero means Node's default, as in Fastify
      if (factoryOptions.maxRequestsPerSocket)
        server.maxRequestsPerSocket = factoryOptions.maxRequestsPerSocket;
      return server;
    },
    plugin: fp(loadSheddingPlugin, { name: 'steadfast-load-shedding', fastify: '5.x' }),
    giveBack: (res) => gate.giveBack(res),
  };
}
