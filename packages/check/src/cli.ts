#!/usr/bin/env node
/** steadfast-check <base-url> [options]: the checker's command line (`--help` lists the options; see command.ts). */
import { runCheck } from './command.ts';

runCheck(process.argv.slice(2), { apiKey: process.env.STEADFAST_CHECK_API_KEY }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = (error as Error)?.message ?? String(error);
    process.stderr.write(`steadfast-check: ${message.split('\n')[0]}\n`);
    process.exitCode = 2;
  },
);
