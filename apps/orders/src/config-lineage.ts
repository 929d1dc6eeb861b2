/**
 * The request-lineage part of the configuration (docs/toolkit/lineage.md):
 * LINEAGE on|off and how long lineage rows are kept.
 */
import { type Env, integer, onOff } from './config-values.ts';

export interface LineageConfig {
  /** LINEAGE=off: nothing is recorded (benchmark baselines); the reaper still runs */
  enabled: boolean;
  /** LINEAGE_RETENTION_DAYS: rows older than this are reaped by the worker */
  retentionS: number;
}

export function lineageConfig(env: Env): LineageConfig {
  return {
    enabled: onOff(env, 'LINEAGE', true),
    retentionS: integer(env, 'LINEAGE_RETENTION_DAYS', 7, 1, 365) * 86_400,
  };
}
