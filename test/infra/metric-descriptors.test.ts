import { describe, expect, it } from 'vitest';
import { waitForMetricDescriptor, type MonitoringLookup } from '../../infra/metric-descriptors.ts';

const TYPE = 'logging.googleapis.com/user/ingest_errors';
const FAST = { timeoutMs: 1_000, pollMs: 1 };

/** A Monitoring API that answers `statuses` in turn (the last one from then on), and records the URLs asked for. */
function answering(...statuses: number[]): MonitoringLookup & { urls: string[] } {
  const urls: string[] = [];
  const lookup = async (url: string) => {
    urls.push(url);
    return statuses[Math.min(urls.length, statuses.length) - 1] ?? 200;
  };
  return Object.assign(lookup, { urls });
}

describe('waiting for a log-based metric to reach Cloud Monitoring', () => {
  it("asks for the metric's descriptor until Cloud Monitoring knows it", async () => {
    const lookup = answering(404, 404, 200);

    await waitForMetricDescriptor('shop-prod', { lookup, wait: FAST, isDryRun: () => false })(TYPE);

    expect(lookup.urls).toEqual(
      Array(3).fill(
        'https://monitoring.googleapis.com/v3/projects/shop-prod/metricDescriptors/logging.googleapis.com%2Fuser%2Fingest_errors',
      ),
    );
  });

  it('fails the deployment, naming the metric, when the metric is still unknown after the wait', async () => {
    const ready = waitForMetricDescriptor('shop-prod', {
      lookup: answering(404),
      wait: { timeoutMs: 20, pollMs: 5 },
      isDryRun: () => false,
    });

    await expect(ready(TYPE)).rejects.toThrow(`the log-based metric ${TYPE} did not reach Cloud Monitoring`);
  });

  it('fails at once on any other answer: a missing permission does not pass by waiting', async () => {
    const lookup = answering(403);

    await expect(waitForMetricDescriptor('shop-prod', { lookup, wait: FAST, isDryRun: () => false })(TYPE)).rejects.toThrow(/answered 403/);
    expect(lookup.urls).toHaveLength(1);
  });

  it('asks nothing in a preview, which creates no metric', async () => {
    const lookup = answering(404);

    await waitForMetricDescriptor('shop-prod', { lookup, wait: FAST, isDryRun: () => true })(TYPE);

    expect(lookup.urls).toEqual([]);
  });
});
