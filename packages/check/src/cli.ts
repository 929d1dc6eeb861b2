#!/usr/bin/env node
/** steadfast-check <baseUrl> [options]: the checker's command line (see runCheck for the options). */
import { runCheck } from './command.ts';

runCheck(process.argv.slice(2), { apiKey: process.env.STEADFAST_CHECK_API_KEY }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`steadfast-check: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
