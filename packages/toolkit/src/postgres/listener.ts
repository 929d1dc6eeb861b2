/**
 * One LISTEN connection that stays up: `createNotificationListener` listens on
 * one channel on the pool's direct connection (`directPool`: a
 * transaction-mode pooler would take the LISTEN and never deliver). When the
 * connection dies it reconnects with backoff and calls `onReconnect` once
 * it listens again — notifications sent meanwhile are lost, so the caller
 * resynchronises (e.g. clears a cache). Every failure is reported to `errors`
 * (logged and counted), never dropped.
 */
import type { BackgroundErrors } from '../observability/index.ts';
import { directPool } from './direct.ts';
import type { Pool, PoolClient } from './pool.ts';

export interface NotificationListenerOptions {
  pool: Pool;
  /** a plain identifier, e.g. `steadfast_api_keys` */
  channel: string;
  onNotification: (payload: string) => void;
  /** called after a LISTEN that follows a lost connection or a failed start: notifications may have been missed */
  onReconnect?: () => void;
  errors: BackgroundErrors;
  /** first delay before reconnecting (default 100), doubled per failure up to retryMaxMs (default 5000) */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface NotificationListener {
  /** the first LISTEN; resolves either way (a failure is reported and retried) */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** true while a LISTEN connection is up */
  listening(): boolean;
  /** how many times it listened again after a loss */
  reconnects(): number;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export function createNotificationListener(options: NotificationListenerOptions): NotificationListener {
  const { channel, errors } = options;
  if (!CHANNEL.test(channel))
    throw new Error(`createNotificationListener: "${channel}" is not a plain identifier`);
  const component = `listener:${channel}`;
  const minMs = options.retryMinMs ?? 100;
  const maxMs = options.retryMaxMs ?? 5000;
  let client: PoolClient | undefined;
  let stopped = false;
  let failures = 0;
  let missed = false; // a loss or a failed attempt happened since the last LISTEN
  let reconnects = 0;
  let timer: NodeJS.Timeout | undefined;
  let connecting: Promise<void> | undefined;
  const released = new WeakSet<PoolClient>();
  // a client goes back once; with an error or true the pool destroys it (a pooled one would keep listening)
  const release = (c: PoolClient, error: Error | true) => {
    if (released.has(c)) return;
    released.add(c);
    c.release(error);
  };

  function schedule() {
    if (stopped || timer) return;
    const delayMs = Math.min(maxMs, minMs * 2 ** Math.min(failures, 20));
    failures++;
    timer = setTimeout(() => {
      timer = undefined;
      connecting = connect();
    }, delayMs);
    timer.unref();
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    let c: PoolClient;
    try {
      c = await directPool(options.pool).connect();
    } catch (error) {
      missed = true;
      errors.report(component, error, { step: 'connect' });
      schedule();
      return;
    }
    let lost = false;
    const lose = (error: Error) => {
      if (lost) return;
      lost = true;
      if (client === c) client = undefined;
      release(c, error);
      if (stopped) return;
      missed = true;
      errors.report(component, error, { step: 'connection' });
      schedule();
    };
    c.on('notification', (message) => {
      if (message.channel !== channel) return;
      try {
        options.onNotification(message.payload ?? '');
      } catch (error) {
        errors.report(component, error, { step: 'onNotification' });
      }
    });
    c.on('error', lose);
    c.on('end', () => lose(new Error('the LISTEN connection ended')));
    try {
      await c.query(`LISTEN ${channel}`);
    } catch (error) {
      lose(error as Error);
      return;
    }
    if (lost) return;
    if (stopped) {
      lost = true;
      release(c, true);
      return;
    }
    client = c;
    failures = 0;
    if (missed) {
      missed = false;
      reconnects++;
      try {
        options.onReconnect?.();
      } catch (error) {
        errors.report(component, error, { step: 'onReconnect' });
      }
    }
  }

  return {
    async start() {
      stopped = false;
      if (client || connecting || timer) return connecting;
      connecting = connect();
      return connecting;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await connecting;
      const c = client;
      client = undefined;
      if (!c) return;
      // resolve once the socket has closed (a caller that ends its pool next finds nothing open),
      // but never wait on a frozen server for more than a second
      let timeout: NodeJS.Timeout | undefined;
      const ended = new Promise<void>((resolve) => {
        c.once('end', () => resolve());
        timeout = setTimeout(resolve, 1000);
        timeout.unref();
      });
      release(c, true);
      await ended;
      clearTimeout(timeout);
    },
    listening: () => client !== undefined,
    reconnects: () => reconnects,
  };
}
