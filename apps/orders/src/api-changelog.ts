/** The API changelog (docs/api-changelog.md), generated from the declared version changes: one source for both. */
import type { OrdersApiVersions } from './api-versions.ts';

export function renderApiChangelog(versions: OrdersApiVersions): string {
  const lines = [
    '# API changelog',
    '',
    '<!-- generated from apps/orders/src/api-versions.ts by `UPDATE_OPENAPI_SNAPSHOTS=1 npm run test:unit -- apps/orders/src/openapi-snapshots.test.ts`; do not edit -->',
    '',
    'Every dated version of the Orders API, newest first. Send `Steadfast-Version: <date>` to speak one, or pin your tenant to it (`PUT /v1/api-version`); see [versioning.md](versioning.md). Each version’s OpenAPI document: `/openapi.json?version=<date>`.',
    '',
  ];
  for (const entry of versions.changelog()) {
    lines.push(`## ${entry.version}`, '');
    if (entry.deprecation) {
      const sunset = entry.deprecation.sunsetAt
        ? `; sunset ${entry.deprecation.sunsetAt.slice(0, 10)} (then 410 \`version-sunset\`)`
        : '';
      lines.push(`Deprecated since ${entry.deprecation.deprecatedAt.slice(0, 10)}${sunset}.`, '');
    }
    if (entry.changes.length === 0) lines.push('The first version.', '');
    for (const change of entry.changes) {
      lines.push(`- ${change.description}`);
      lines.push(
        `  Routes: ${change.routes.map((r) => `\`${r.replace(/:([a-z]+)/g, '{$1}')}\``).join(', ')}.`,
      );
    }
    if (entry.changes.length) lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
