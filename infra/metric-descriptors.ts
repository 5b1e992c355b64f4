import { setTimeout as sleep } from 'node:timers/promises';
import * as pulumi from '@pulumi/pulumi';
import { GoogleAuth } from 'google-auth-library';

/** Resolves once Cloud Monitoring knows the metric type `logging.googleapis.com/user/<name>`. */
export type MetricReady = (metricType: string) => Promise<void>;

/** A GET of the Monitoring API, answering the HTTP status. */
export type MonitoringLookup = (url: string) => Promise<number>;

/**
 * How long a log-based metric may take to reach Cloud Monitoring: an alert policy naming it is refused with 404 until
 * then, "up to 10 minutes" in the error's own words (hashicorp/terraform-provider-google#11102). A little more, then
 * the deployment fails, naming the metric.
 */
export const METRIC_WAIT = { timeoutMs: 12 * 60_000, pollMs: 15_000 } as const;

export type MetricWaitOptions = {
  /** Default: an authenticated GET with Application Default Credentials, as the Google provider uses, reading only. */
  lookup?: MonitoringLookup;
  /** Default `METRIC_WAIT`. */
  wait?: { timeoutMs: number; pollMs: number };
  /** Whether this is a preview, which creates nothing and so waits for nothing. Default: Pulumi's answer. */
  isDryRun?: () => boolean;
};

/**
 * Waits, during `pulumi up`, until `metricDescriptors.get` finds the metric's descriptor in `project`
 * (https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.metricDescriptors/get): the lookup that fails while
 * a new alert policy naming the metric would be refused with 404.
 */
export function waitForMetricDescriptor(project: string, options: MetricWaitOptions = {}): MetricReady {
  const lookup = options.lookup ?? googleLookup();
  const wait = options.wait ?? METRIC_WAIT;
  const isDryRun = options.isDryRun ?? (() => pulumi.runtime.isDryRun());
  return async (metricType) => {
    if (isDryRun()) return;
    const url = `https://monitoring.googleapis.com/v3/projects/${encodeURIComponent(project)}/metricDescriptors/${encodeURIComponent(metricType)}`;
    const deadline = Date.now() + wait.timeoutMs;
    for (;;) {
      const status = await lookup(url);
      if (status === 200) return;
      if (status !== 404) throw new pulumi.RunError(`Cloud Monitoring answered ${status} for the metric ${metricType}`);
      if (Date.now() >= deadline) {
        throw new pulumi.RunError(
          `the log-based metric ${metricType} did not reach Cloud Monitoring within ${wait.timeoutMs / 60_000} minutes; run pulumi up again`,
        );
      }
      void pulumi.log.info(`waiting for Cloud Monitoring to know ${metricType} before the alert policies that name it`);
      await sleep(wait.pollMs);
    }
  };
}

/** The credentials are looked up on the first call: a preview makes none. */
function googleLookup(): MonitoringLookup {
  let auth: GoogleAuth | undefined;
  return async (url) => {
    auth ??= new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/monitoring.read'] });
    const response = await auth.request({ url, validateStatus: () => true });
    return response.status;
  };
}
