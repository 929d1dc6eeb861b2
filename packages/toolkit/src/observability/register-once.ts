/**
 * A metric registered once per registry: the blocks' metric factories may be
 * called again on the same registry (web and worker in one process, a test
 * building two apps) and get the same metric back instead of prom-client's
 * "already registered" error.
 */
import type { Metric, Registry } from 'prom-client';

export function registerOnce<M extends Metric>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
