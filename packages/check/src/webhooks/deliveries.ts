/**
 * What the webhook checks send: events (the checker's own, or a template's
 * with `{{subject}}`, `{{sequence}}` and `{{marker}}` filled in), signed or
 * mis-signed on purpose, and the effect URL read back.
 */
import fs from 'node:fs';
import { sign } from './sign.ts';

export interface Delivery {
  id: string;
  timestampS: number;
  body: string;
  signature: string;
  marker: string;
}

export interface Sent {
  delivery: Delivery;
  status?: number;
  error?: string;
  ackMs: number;
  exchange: {
    request: { method: string; url: string; headers: Record<string, string>; body?: string };
    response: { status: number; headers: Record<string, string>; body: string } | { error: string };
  };
}

export type EventTemplate = unknown;

export const DEFAULT_TEMPLATE = {
  type: 'steadfast.check.event',
  data: { subject: '{{subject}}', sequence: '{{sequence}}', marker: '{{marker}}' },
};

/** Reads `--template <file>`: one JSON event (an object) with optional placeholders. */
export function readTemplate(file: string): EventTemplate {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = JSON.parse(text) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${file} is not one JSON event object`);
  return parsed;
}

export function fill(
  template: EventTemplate,
  values: { subject: string; sequence: number; marker: string },
): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (v === '{{sequence}}') return values.sequence;
      return v
        .replaceAll('{{subject}}', values.subject)
        .replaceAll('{{sequence}}', String(values.sequence))
        .replaceAll('{{marker}}', values.marker);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(template);
}

export function signed(
  secret: string,
  id: string,
  timestampS: number,
  body: string,
  marker: string,
): Delivery {
  return { id, timestampS, body, marker, signature: sign(secret, id, timestampS, body) };
}

export async function deliver(url: string, delivery: Delivery, timeoutMs: number): Promise<Sent> {
  const headers = {
    'content-type': 'application/json',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(delivery.timestampS),
    'webhook-signature': delivery.signature,
  };
  const request = { method: 'POST', url, headers, body: delivery.body };
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: delivery.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    const responseHeaders = Object.fromEntries(response.headers.entries());
    return {
      delivery,
      status: response.status,
      ackMs: Date.now() - started,
      exchange: { request, response: { status: response.status, headers: responseHeaders, body } },
    };
  } catch (error) {
    const message = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return {
      delivery,
      error: message,
      ackMs: Date.now() - started,
      exchange: { request, response: { error: message } },
    };
  }
}

/** Reads the effect URL: its body as text (the checks look for markers and ids in it). */
export function effectReader(effectUrl: string, apiKey?: string) {
  return async (): Promise<string> => {
    const response = await fetch(effectUrl, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`the effect URL answered ${response.status}`);
    return text;
  };
}

export const occurrences = (text: string, needle: string) => (needle ? text.split(needle).length - 1 : 0);
