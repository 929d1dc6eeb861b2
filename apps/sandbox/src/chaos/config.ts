/**
 * The chaos configuration of one partner, validated with a JSON pointer to
 * the first bad field. `webhooks` and `settlement` apply to payments only.
 */
import Ajv from 'ajv';
import { type Static, Type } from 'typebox';

export const FAULT_KINDS = [
  'latency',
  'error',
  'rate-limit',
  'hang',
  'reset',
  'lost-response',
  'malformed',
  'slow-body',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const Range = Type.Tuple([
  Type.Integer({ minimum: 0, maximum: 600_000 }),
  Type.Integer({ minimum: 0, maximum: 600_000 }),
]);
const Probability = Type.Number({ minimum: 0, maximum: 1 });

export const RuleSchema = Type.Object(
  {
    match: Type.Optional(
      Type.Object(
        {
          method: Type.Optional(Type.String({ pattern: '^[A-Z]+$' })),
          path: Type.Optional(Type.String({ pattern: '^/', maxLength: 500 })),
        },
        { additionalProperties: false },
      ),
    ),
    fault: Type.Unsafe<FaultKind>({ type: 'string', enum: [...FAULT_KINDS] }),
    probability: Type.Optional(Probability),
    count: Type.Optional(Type.Integer({ minimum: 1 })),
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    body: Type.Optional(Type.Unknown()),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    jitterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    retryAfterS: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    variant: Type.Optional(
      Type.Unsafe<'invalid-json' | 'missing-fields'>({
        type: 'string',
        enum: ['invalid-json', 'missing-fields'],
      }),
    ),
    /** slow-body: how long the body takes to arrive */
    durationMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
  },
  { additionalProperties: false },
);
export type ChaosRule = Static<typeof RuleSchema>;

export const ChaosConfigSchema = Type.Object(
  {
    seed: Type.Optional(Type.Integer()),
    rules: Type.Optional(Type.Array(RuleSchema, { maxItems: 100 })),
    webhooks: Type.Optional(
      Type.Object(
        {
          duplicateProbability: Type.Optional(Probability),
          dropProbability: Type.Optional(Probability),
          reorder: Type.Optional(Type.Boolean()),
          delayMs: Type.Optional(Range),
        },
        { additionalProperties: false },
      ),
    ),
    settlement: Type.Optional(
      Type.Object(
        {
          pendingProbability: Type.Optional(Probability),
          settleAfterMs: Type.Optional(Range),
          failProbability: Type.Optional(Probability),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ChaosConfig = Static<typeof ChaosConfigSchema>;

const ajv = new Ajv.default({ allErrors: false, strict: false });
const validate = ajv.compile(ChaosConfigSchema);

export type ParsedChaos = { ok: true; config: ChaosConfig } | { ok: false; pointer: string; message: string };

export function parseChaosConfig(input: unknown, partner: string): ParsedChaos {
  if (!validate(input)) {
    const error = validate.errors?.[0];
    const params = (error?.params ?? {}) as Record<string, string>;
    const extra = params.additionalProperty ?? params.missingProperty;
    return {
      ok: false,
      pointer: `${error?.instancePath ?? ''}${extra ? `/${extra}` : ''}`,
      message: extra && params.additionalProperty ? 'is not a known field' : (error?.message ?? 'is invalid'),
    };
  }
  const config = input as ChaosConfig;
  if (partner !== 'payments') {
    for (const field of ['webhooks', 'settlement'] as const) {
      if (config[field])
        return { ok: false, pointer: `/${field}`, message: 'applies to the payments partner only' };
    }
  }
  for (const [i, range] of [
    ['/webhooks/delayMs', config.webhooks?.delayMs],
    ['/settlement/settleAfterMs', config.settlement?.settleAfterMs],
  ] as const) {
    if (range && range[0] > range[1])
      return { ok: false, pointer: i, message: 'must be [min, max] with min <= max' };
  }
  return { ok: true, config };
}
