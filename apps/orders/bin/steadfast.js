#!/usr/bin/env node
// The `steadfast` command from a checkout (`npx steadfast <command>`): the workspace
// packages resolve to their TypeScript sources (the "steadfast-source" export
// condition), so the CLI runs without a build step.
import module from 'node:module';

const CONDITION = 'steadfast-source';
if (!process.execArgv.includes(`--conditions=${CONDITION}`)) {
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      const conditions = context.conditions.includes(CONDITION)
        ? context.conditions
        : [...context.conditions, CONDITION];
      return nextResolve(specifier, { ...context, conditions });
    },
  });
  // child processes the CLI starts (none today) resolve the same way
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --conditions=${CONDITION}`.trim();
}
await import('../src/cli.ts');
