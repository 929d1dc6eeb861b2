/** `steadfast-check webhooks <url> --secret whsec_…`: the whole subcommand. */

/** argv is what follows "webhooks"; returns 0 pass, 1 a check failed, 2 bad usage or unreachable. */
export async function runWebhooksCommand(argv: string[], program: string): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: ${program} webhooks <url> --secret whsec_...\n`);
    return 0;
  }
  process.stderr.write(`${program} webhooks: not implemented yet\n`);
  return 2;
}
