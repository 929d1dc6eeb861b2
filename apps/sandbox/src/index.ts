/** The sandbox: simulated partners that fail on command, deterministically. HTTP only. */
export type { Partner, Sandbox, SandboxOptions } from './app.ts';
export { buildSandbox, PARTNERS } from './app.ts';
export type { Random } from './chaos/random.ts';
export { seededRandom } from './chaos/random.ts';
export type { RunningSandbox } from './harness.ts';
export { startSandbox } from './harness.ts';
