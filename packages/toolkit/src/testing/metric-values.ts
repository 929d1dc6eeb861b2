/**
 * What a prom-client metric holds now, in the shapes tests compare with
 * literals: every sample (`metricValues`), or one label's value → the sample
 * (`metricByLabel`). A metric is given directly or by name in a registry; a
 * name the registry does not know fails the test, not an empty result.
 */
import type { Metric, Registry } from 'prom-client';

export interface MetricSample {
  labels: Record<string, string | number | undefined>;
  value: number;
  /** a histogram's or summary's series (`…_bucket`, `…_count`, `…_sum`) */
  metricName?: string;
}

type Readable = Pick<Metric, 'get'>;

function resolve(from: Readable | Registry, name?: string): Readable {
  if (name === undefined) return from as Readable;
  const metric = (from as Registry).getSingleMetric(name);
  if (!metric) throw new Error(`no metric named ${name} in this registry`);
  return metric;
}

/** Every sample of the metric: its labels and value (and series name, for histograms). */
export async function metricValues(metric: Readable): Promise<MetricSample[]>;
export async function metricValues(registry: Registry, name: string): Promise<MetricSample[]>;
export async function metricValues(from: Readable | Registry, name?: string): Promise<MetricSample[]> {
  const { values } = await resolve(from, name).get();
  // a histogram's samples name their series; prom-client's MetricValue type leaves that out
  return (values as (MetricSample & { labels: object })[]).map(({ labels, value, metricName }) =>
    metricName === undefined
      ? { labels: { ...labels }, value }
      : { labels: { ...labels }, value, metricName },
  );
}

/**
 * `{ [value of label]: total }`: the samples summed by one label's value (other labels
 * folded), a sample without that label under `''`. For a histogram, its `_count` series
 * (how many observations per label value).
 */
export async function metricByLabel(metric: Readable, label: string): Promise<Record<string, number>>;
export async function metricByLabel(
  registry: Registry,
  name: string,
  label: string,
): Promise<Record<string, number>>;
export async function metricByLabel(
  from: Readable | Registry,
  nameOrLabel: string,
  label?: string,
): Promise<Record<string, number>> {
  const samples =
    label === undefined
      ? await metricValues(from as Readable)
      : await metricValues(from as Registry, nameOrLabel);
  const key = label ?? nameOrLabel;
  const counted = samples.filter((s) => s.metricName === undefined || s.metricName.endsWith('_count'));
  const by: Record<string, number> = {};
  for (const s of counted) {
    const at = String(s.labels[key] ?? '');
    by[at] = (by[at] ?? 0) + s.value;
  }
  return by;
}
