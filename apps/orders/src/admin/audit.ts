/**
 * The audit of actions on the service's work (dead letters replayed or
 * discarded, console sign-ins): who, when, through what, on what. Written in
 * the action's own transaction, so an action and its audit row exist together.
 */
import type { Queryable } from '@steadfast/toolkit/postgres';

export interface Actor {
  /** `operator:<id>` or `tenant:<id>` */
  who: string;
  via: 'console' | 'api';
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  via: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

export async function writeAudit(
  db: Queryable,
  actor: Actor,
  action: string,
  target: string | null,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await db.query('INSERT INTO admin_audit (actor, via, action, target, detail) VALUES ($1, $2, $3, $4, $5)', [
    actor.who,
    actor.via,
    action,
    target,
    detail,
  ]);
}

export async function listAudit(
  db: Queryable,
  options: { limit: number; beforeId?: string },
): Promise<AuditEntry[]> {
  const { rows } = await db.query<{
    id: string;
    at: Date;
    actor: string;
    via: string;
    action: string;
    target: string | null;
    detail: Record<string, unknown>;
  }>(
    `SELECT id::text, at, actor, via, action, target, detail FROM admin_audit
      WHERE ($1::bigint IS NULL OR admin_audit.id < $1) ORDER BY admin_audit.id DESC LIMIT $2`,
    [options.beforeId ?? null, options.limit],
  );
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}
