import type { Registry } from 'prom-client';

/** A counter's value on `/metrics` (the first exposition line matching `line`), summed over replicas. */
export async function metricTotal(services: { metrics: { registry: Registry } }[], line: RegExp): Promise<number> {
  let total = 0;
  for (const service of services) {
    const text = await service.metrics.registry.metrics();
    total += Number(
      text
        .split('\n')
        .find((row) => line.test(row))
        ?.split(' ')
        .at(-1) ?? 0,
    );
  }
  return total;
}
