/**
 * docs/ops/: every metric the Grafana dashboard and the Prometheus alert rules
 * name exists on the app's /metrics (web and worker on one registry, traffic
 * control on, prom-client's defaults), the two files have the shape Grafana and
 * Prometheus load, and the metric names follow Prometheus' conventions.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { createHttpMetrics } from '@steadfast/toolkit/observability';
import { parse as parseYaml } from 'yaml';
import { buildTestApp, createOrder, createTestWorker, type TestApp } from './testing.ts';

const ROOT = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
/** series Prometheus makes itself, never on a target's /metrics */
const PROMETHEUS_SERIES = new Set(['up']);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const OPERATORS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression (or a Grafana `label_values(metric, label)`) reads. */
export function metricNames(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings (label values, regexps)
    .replace(/label_values\(\s*([^,)]*)(?:,[^)]*)?\)/g, ' $1 ') // Grafana: only the first argument is a metric
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery selectors ([5m], [$__rate_interval])
    .replace(/\b([a-z_]+)\s*\(([^()]*)\)/g, (all, word: string) => (KEYWORDS.has(word) ? ' ' : all)) // by (le, route)
    .replace(/\{[^}]*\}/g, ' '); // label matchers
  const names: string[] = [];
  for (const match of text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const before = text[match.index - 1] ?? ' ';
    if (/[0-9.$]/.test(before)) continue; // 1e-9, 5m after offset, a Grafana variable
    if (
      text
        .slice(match.index + word.length)
        .trimStart()
        .startsWith('(')
    )
      continue; // a function or aggregation
    if (KEYWORDS.has(word) || OPERATORS.has(word.toLowerCase())) continue;
    names.push(word);
  }
  return names;
}

/** `# TYPE name type` of a Prometheus text exposition. */
function exposedTypes(exposition: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1], match[2]);
  return types;
}

/** the referenced names that are not on /metrics (a histogram's _bucket/_sum/_count are its own) */
export function missingMetrics(expressions: string[], types: Map<string, string>): string[] {
  const missing = new Set<string>();
  for (const expr of expressions) {
    for (const name of metricNames(expr)) {
      if (types.has(name) || PROMETHEUS_SERIES.has(name)) continue;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const type = types.get(base);
      if (base !== name && (type === 'histogram' || (type === 'summary' && !name.endsWith('_bucket'))))
        continue;
      missing.add(name);
    }
  }
  return [...missing].sort();
}

/** every value of `key` anywhere in a parsed document */
function collect(node: unknown, key: string, into: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const item of node) collect(item, key, into);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === key) into.push(v);
      collect(v, key, into);
    }
  }
  return into;
}

interface Panel {
  id?: number;
  type: string;
  title: string;
  targets?: Array<{ expr?: string }>;
}
interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook_url: string };
}

const dashboard = JSON.parse(read('docs/ops/grafana-dashboard.json'));
const alerts = parseYaml(read('docs/ops/alerts.yml')) as { groups: Array<{ name: string; rules: Rule[] }> };
const rules = alerts.groups.flatMap((group) => group.rules);
const dashboardExpressions = [
  ...(collect(dashboard.panels, 'expr') as string[]),
  ...dashboard.templating.list.flatMap((v: { definition?: string }) => (v.definition ? [v.definition] : [])),
];
const expressions = [...dashboardExpressions, ...rules.map((rule) => rule.expr)];

let sandbox: RunningSandbox;
let app: TestApp;
let exposition: string;

before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
  app = await buildTestApp({
    metrics: createHttpMetrics({ defaultMetrics: true }),
    partners: { urls: sandbox.urls },
    traffic: {
      rateLimits: { limits: { writes: 1000, reads: 1000, 'long-polls': 1000 }, windowS: 60 },
      loadShedding: { fixedLimit: 100 },
    },
  });
  createTestWorker(app); // the worker role's metrics, on the same registry (not started)
  const order = await createOrder(app);
  await app.inject({ method: 'GET', url: `/v1/orders/${order.id}` });
  await app.inject({ method: 'GET', url: '/v1/no-such-thing/123', apiKey: null });
  exposition = (await app.server.inject({ method: 'GET', url: '/metrics' })).body;
});
after(async () => {
  await app?.close();
  await sandbox?.close();
});

describe('every metric the dashboard and the alert rules name is on /metrics', () => {
  test('the dashboard and the rules reference only exposed metrics', () => {
    const referenced = new Set(expressions.flatMap(metricNames));
    assert.ok(referenced.size >= 30, `only ${referenced.size} metrics referenced: the extraction is broken`);
    assert.deepEqual(missingMetrics(expressions, exposedTypes(exposition)), []);
  });

  test('a metric that does not exist, or a histogram suffix on a gauge, is reported', () => {
    const types = exposedTypes(exposition);
    const broken = [
      'sum by (route) (rate(steadfast_no_such_requests_total{job=~"$job"}[$__rate_interval]))',
      'max(steadfast_outbox_pending_count)',
      'histogram_quantile(0.99, sum by (le) (rate(steadfast_http_request_duration_seconds_bucket[5m])))',
    ];
    assert.deepEqual(missingMetrics(broken, types), [
      'steadfast_no_such_requests_total',
      'steadfast_outbox_pending_count',
    ]);
  });

  test('the PromQL reader keeps metrics and drops labels, functions, durations and variables', () => {
    assert.deepEqual(
      metricNames(
        'sum by (le, route) (rate(a_seconds_bucket{status=~"5..", job=~"$job"}[$__rate_interval])) / on (job) group_left b_total offset 5m > 1e-9',
      ),
      ['a_seconds_bucket', 'b_total'],
    );
    assert.deepEqual(metricNames('label_values(up, job)'), ['up']);
  });
});

describe('docs/ops/grafana-dashboard.json', () => {
  test('schema 39 or newer, a Prometheus datasource variable and no hard-coded datasource', () => {
    assert.ok(dashboard.schemaVersion >= 39);
    const variable = dashboard.templating.list.find((v: { type: string }) => v.type === 'datasource');
    assert.equal(variable?.name, 'datasource');
    assert.equal(variable?.query, 'prometheus');
    const datasources = collect(dashboard.panels, 'datasource') as Array<{ type: string; uid: string }>;
    assert.ok(datasources.length > 0);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    const uid = '${datasource}';
    for (const ds of datasources) assert.deepEqual(ds, { type: 'prometheus', uid });
  });

  test('rows for HTTP, dependencies, work in flight, traffic and process; every panel queries', () => {
    const panels = dashboard.panels as Panel[];
    assert.deepEqual(
      panels.filter((p) => p.type === 'row').map((p) => p.title),
      ['HTTP', 'Dependencies', 'Work in flight', 'Traffic', 'Process'],
    );
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      assert.ok(panel.targets?.length && panel.targets.every((t) => t.expr), `${panel.title} has no query`);
    }
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
  });
});

describe('docs/ops/alerts.yml', () => {
  const monitoring = read('docs/ops/monitoring.md');
  const anchors = new Set(
    [...monitoring.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
  );

  test('every rule has alert, expr, for, severity, summary, description and a runbook in the docs', () => {
    assert.ok(rules.length > 0);
    for (const rule of rules) {
      assert.match(rule.alert, /^Steadfast[A-Za-z0-9]+$/);
      assert.equal(typeof rule.expr, 'string');
      assert.match(rule.for, /^\d+[smh]$/, `${rule.alert}: for`);
      assert.ok(['critical', 'warning', 'info'].includes(rule.labels?.severity), `${rule.alert}: severity`);
      assert.ok(rule.annotations?.summary && rule.annotations.description, `${rule.alert}: annotations`);
      const [path, anchor] = rule.annotations.runbook_url.split('#');
      assert.ok(existsSync(new URL(path, ROOT)), `${rule.alert}: ${path} does not exist`);
      assert.ok(anchors.has(anchor), `${rule.alert}: no section #${anchor} in ${path}`);
    }
    assert.equal(new Set(rules.map((r) => r.alert)).size, rules.length, 'alert names are unique');
  });

  const promtool = (process.env.PATH ?? '')
    .split(':')
    .map((dir) => `${dir}/promtool`)
    .find((file) => existsSync(file));
  test('promtool accepts the rules', { skip: promtool ? false : 'promtool is not installed' }, () => {
    const output = execFileSync(promtool as string, [
      'check',
      'rules',
      new URL('docs/ops/alerts.yml', ROOT).pathname,
    ]);
    assert.match(output.toString(), new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  test('the alerts an operator pages on are there', () => {
    const names = new Set(rules.map((r) => r.alert));
    for (const name of [
      'SteadfastBreakerOpen',
      'SteadfastRetryBudgetExhausted',
      'SteadfastDeadLettersGrowing',
      'SteadfastWebhookInboxLag',
      'SteadfastOperationsStuck',
      'SteadfastHigh5xxRate',
      'SteadfastShedding',
      'SteadfastWorkerHeartbeatMissing',
    ])
      assert.ok(names.has(name), `${name} is missing`);
  });
});

describe('metric names on /metrics', () => {
  test('counters end in _total, gauges never do, histograms carry their unit, every metric has a help text', () => {
    const types = exposedTypes(exposition);
    const helps = new Map([...exposition.matchAll(/^# HELP (\S+) ?(.*)$/gm)].map((m) => [m[1], m[2]]));
    for (const [name, type] of types) {
      assert.ok(helps.get(name)?.trim(), `${name} has no help text`);
      if (!name.startsWith('steadfast_')) continue; // prom-client's defaults keep their standard names
      if (type === 'counter') assert.match(name, /_total$/, `counter ${name}`);
      if (type === 'gauge') assert.doesNotMatch(name, /_total$/, `gauge ${name}`);
      if (type === 'histogram') assert.match(name, /_(seconds|bytes)$/, `histogram ${name}`);
    }
  });

  test("prom-client's process and Node metrics keep their standard names", () => {
    const types = exposedTypes(exposition);
    assert.equal(types.get('process_cpu_seconds_total'), 'counter');
    assert.equal(types.get('process_resident_memory_bytes'), 'gauge');
    assert.equal(types.get('nodejs_eventloop_lag_seconds'), 'gauge');
    assert.doesNotMatch(exposition, /^# TYPE steadfast_(process|nodejs)_/m);
  });

  test('the route label is the OpenAPI template; unknown paths share one "unmatched" value', () => {
    const routes = new Set([...exposition.matchAll(/\{[^}]*route="([^"]*)"/g)].map((m) => m[1]));
    assert.ok(routes.has('/v1/orders/{id}'), [...routes].join(' '));
    assert.ok(routes.has('unmatched'));
    assert.ok(![...routes].some((route) => route.includes(':') || route.includes('no-such-thing')));
  });
});
