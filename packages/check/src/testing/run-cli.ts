/** Run `steadfast-check` as a child process (for the command-line tests). */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const CHECK_CLI_PATH = path.resolve(import.meta.dirname, '..', 'cli.ts');

export function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { STEADFAST_CHECK_API_KEY: _ignored, ...base } = process.env;
    const child = spawn(process.execPath, [CHECK_CLI_PATH, ...args], {
      env: { ...base, ...env },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr })); // after the pipes are drained, not at exit
  });
}
