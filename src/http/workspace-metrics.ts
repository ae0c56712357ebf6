import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * /metrics with the created workspaces' own metrics beside the deployment's: each workspace's registry carries the
 * default label `workspace="<id>"` (bounded by WORKSPACES_MAX, and only workspaces this replica has built).
 * Process metrics and HTTP request counts are the deployment's alone (the front app counts every request once).
 */
export async function renderWithWorkspaces(root: Registry, workspaces: Registry[]): Promise<string> {
  if (!workspaces.length) return root.metrics();
  const own = (name: string) => !name.startsWith('kefu_process_') && !name.startsWith('kefu_http_');
  const inner = await Promise.all(workspaces.map(async (registry) => (await registry.getMetricsAsJSON()).filter((metric) => own(metric.name))));
  return AggregatorRegistry.aggregate([await root.getMetricsAsJSON(), ...inner]).metrics();
}
