/** @steadfast/toolkit/webhooks: signed intake, a deduplicating inbox, and its processor. */
export type { HandlerOutcome, InboxProcessorOptions, InboxRow } from './inbox.ts';
export { createInboxProcessor, reapInbox, requeueInboxRow } from './inbox.ts';
export type { IntakeOptions } from './intake.ts';
export { registerWebhookIntake } from './intake.ts';
export type { WebhookInboxMetrics, WebhookMetrics } from './metrics.ts';
export { createWebhookInboxMetrics, createWebhookMetrics } from './metrics.ts';
export { webhooksMigrations } from './migrations.ts';
export { webhookProblems } from './problems.ts';
export type { Verdict, WebhookVerifier } from './verify.ts';
export { createWebhookVerifier } from './verify.ts';
