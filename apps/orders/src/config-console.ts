/**
 * The operations console's part of the configuration (docs/console.md):
 * CONSOLE on|off, how often each process writes its egress history, how long
 * that history is kept, and when an open operation counts as stuck.
 */
import { type Env, integer, onOff } from './config-values.ts';

export interface ConsoleConfig {
  /** CONSOLE=off: no /console, and this process writes no egress history */
  enabled: boolean;
  /** CONSOLE_HISTORY_INTERVAL_S: one write of this process's minute aggregates per interval */
  historyIntervalMs: number;
  /** CONSOLE_HISTORY_RETENTION_DAYS: history rows older than this are reaped by the worker */
  historyRetentionS: number;
  /** CONSOLE_STUCK_AFTER_S: an open operation older than this is highlighted as stuck */
  stuckAfterMs: number;
}

export function consoleConfig(env: Env): ConsoleConfig {
  return {
    enabled: onOff(env, 'CONSOLE', true),
    historyIntervalMs: integer(env, 'CONSOLE_HISTORY_INTERVAL_S', 10, 1, 300) * 1000,
    historyRetentionS: integer(env, 'CONSOLE_HISTORY_RETENTION_DAYS', 7, 1, 365) * 86_400,
    stuckAfterMs: integer(env, 'CONSOLE_STUCK_AFTER_S', 300, 10, 86_400) * 1000,
  };
}
