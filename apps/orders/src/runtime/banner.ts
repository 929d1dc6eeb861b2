/** The text `npm start` prints once the API is ready. */

export interface BannerInput {
  apiUrl: string;
  demoApiKey: string;
  /** the demo operator's key (operator routes: dependencies, webhook events, reconciliations, every tenant's dead letters) */
  demoOperatorKey: string;
  dataDir: string;
  database: string;
  sandboxUrl?: string;
}

export function renderBanner(input: BannerInput): string {
  const { apiUrl, demoApiKey } = input;
  const body = '{"currency":"EUR","items":[{"sku":"SKU-1","quantity":2}]}';
  return [
    '',
    'Steadfast is running.',
    '',
    `  API            ${apiUrl}/v1/orders`,
    `  OpenAPI        ${apiUrl}/openapi.json`,
    `  API reference  ${apiUrl}/docs`,
    `  Problem types  ${apiUrl}/problems`,
    `  Health         ${apiUrl}/healthz   ${apiUrl}/readyz   ${apiUrl}/metrics`,
    `  Console        ${apiUrl}/console   (sign in with the operator key)`,
    `  Tenant key     ${demoApiKey}   (the demo tenant's data)`,
    `  Operator key   ${input.demoOperatorKey}   (operator routes; nobody's tenant)`,
    `  Data           ${input.dataDir}`,
    `  Database       ${input.database}`,
    `  Sandbox        ${input.sandboxUrl ? `${input.sandboxUrl}/{payments,messaging,pricing,analytics,recommendations}` : 'off (SANDBOX_PORT=0)'}`,
    '',
    'Create an order:',
    '',
    `  curl -sS -X POST ${apiUrl}/v1/orders \\`,
    `    -H 'Authorization: Bearer ${demoApiKey}' \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -H "Idempotency-Key: $(uuidgen 2>/dev/null || date +%s%N)" \\`,
    `    -d '${body}'`,
    '',
    'Stop with Ctrl-C (a second Ctrl-C exits at once).',
    '',
  ].join('\n');
}
