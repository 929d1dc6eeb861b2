/** Run a load generator in its own process (so it does not share the server's event loop) and parse the one JSON document it prints. */
import { spawn } from 'node:child_process';

export function runJsonChild<T>(script: string, args: unknown, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    // 'close', not 'exit': the output may still be in the pipe when the process exits
    child.on('close', (code) => {
      if (code !== 0 || !out) return reject(new Error(`${what} failed (${code}): ${err}`));
      resolve(JSON.parse(out) as T);
    });
  });
}
