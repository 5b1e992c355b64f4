import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { byName, OPERATOR_FACING, PUSHED, SCHEDULED, SHOPPER_FACING } from '../../functions/registry.ts';
import { loadConfig, type InfraConfig } from '../../infra/config.ts';
import { PROJECT, PULUMI_PROJECT, startMocks } from './run-program.ts';

const key = (name: string) => `${PULUMI_PROJECT}:${name}`;

/**
 * Each function's settings when the stack says nothing of it, from its descriptor: its sizing, and its schedule for a
 * job. The tests below spell out every function's; a function added to the registry gets these.
 */
const DESCRIBED_DEFAULTS = {
  ...byName(SHOPPER_FACING, (fn) => ({ ...fn.sizing, corsOrigins: '*' })),
  ...byName(OPERATOR_FACING, (fn) => ({ ...fn.sizing, logLevel: 'INFO' as const, invokers: [] })),
  ...byName(PUSHED, (fn) => ({ ...fn.sizing })),
  ...byName(SCHEDULED, (fn) => ({ ...fn.sizing, schedule: fn.trigger.cron, timeZone: 'Etc/UTC', logLevel: 'INFO' as const })),
};

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

function loadWith(config: Record<string, string>): InfraConfig {
  pulumi.runtime.setAllConfig(config);
  return loadConfig();
}

describe('loadConfig', () => {
  beforeAll(async () => {
    await startMocks({ preview: true });
  });

  it('needs only the project, and documents every other default', () => {
    expect(loadWith({ 'gcp:project': PROJECT })).toEqual<InfraConfig>({
      ...DESCRIBED_DEFAULTS,
      project: PROJECT,
      region: 'europe-west1',
      collect: {
        memory: '512Mi',
        cpu: '1',
        minInstances: 0,
        maxInstances: 20,
        concurrency: 80,
        timeoutSeconds: 60,
        corsOrigins: '*',
        privacyCacheSeconds: 5,
      },
      users: { memory: '256Mi', cpu: '1', minInstances: 0, maxInstances: 10, concurrency: 80, timeoutSeconds: 30, corsOrigins: '*' },
      // Nobody may call operators until the stack names someone.
      operators: {
        memory: '256Mi',
        cpu: '1',
        minInstances: 0,
        maxInstances: 2,
        concurrency: 10,
        timeoutSeconds: 60,
        logLevel: 'INFO',
        invokers: [],
      },
      ingest: {
        memory: '512Mi',
        cpu: '1',
        minInstances: 0,
        maxInstances: 50,
        concurrency: 20,
        timeoutSeconds: 120,
        markerTtlDays: 8,
      },
      storeRejected: { memory: '256Mi', cpu: '1', minInstances: 0, maxInstances: 5, concurrency: 20, timeoutSeconds: 60 },
      token: { issuer: 'grocery-shop', audience: 'learning-loop' },
      messageRetention: '604800s',
      bigquery: { dataset: 'learning_loop', location: 'EU' },
      firestoreLocation: 'eur3',
      patterns: {
        memory: '2Gi',
        cpu: '1',
        timeoutSeconds: 1800,
        schedule: '0 3 * * *',
        timeZone: 'Etc/UTC',
        logLevel: 'INFO',
        settleMinutes: 15,
        sliceShoppers: 20_000,
      },
      erasure: { memory: '512Mi', cpu: '1', timeoutSeconds: 1800, schedule: '15 * * * *', timeZone: 'Etc/UTC', logLevel: 'INFO' },
      retention: { memory: '512Mi', cpu: '1', timeoutSeconds: 1800, schedule: '30 2 * * *', timeZone: 'Etc/UTC', logLevel: 'INFO' },
      metrics: { memory: '512Mi', cpu: '1', timeoutSeconds: 1800, schedule: '0 4 * * *', timeZone: 'Etc/UTC', logLevel: 'INFO' },
      maximumBytesBilled: 1_099_511_627_776,
      // Neither key is given: the program generates both.
      secrets: { userTokenKey: undefined, userHashKey: undefined },
    });
  });

  it('takes every setting from the stack', () => {
    const config = loadWith({
      'gcp:project': 'shop-prod',
      [key('region')]: 'europe-west4',
      [key('collectMemory')]: '1Gi',
      [key('collectCpu')]: '2',
      [key('collectMinInstances')]: '1',
      [key('collectMaxInstances')]: '50',
      [key('collectConcurrency')]: '200',
      [key('collectTimeoutSeconds')]: '30',
      [key('corsOrigins')]: 'https://shop.example,https://m.shop.example',
      [key('privacyCacheSeconds')]: '0',
      [key('operators')]:
        ' group:privacy-ops@shop.example, user:dpo@shop.example,serviceAccount:crm@shop-prod.iam.gserviceaccount.com,domain:shop.example ',
      [key('operatorsMemory')]: '512Mi',
      [key('operatorsCpu')]: '2',
      [key('operatorsMinInstances')]: '1',
      [key('operatorsMaxInstances')]: '3',
      [key('operatorsConcurrency')]: '5',
      [key('operatorsTimeoutSeconds')]: '120',
      [key('operatorsLogLevel')]: 'DEBUG',
      [key('usersMemory')]: '512Mi',
      [key('usersCpu')]: '2',
      [key('usersMinInstances')]: '1',
      [key('usersMaxInstances')]: '30',
      [key('usersConcurrency')]: '150',
      [key('usersTimeoutSeconds')]: '10',
      [key('tokenIssuer')]: 'shop-auth',
      [key('tokenAudience')]: 'loop',
      [key('messageRetention')]: '12h',
      [key('ingestMemory')]: '1Gi',
      [key('ingestCpu')]: '2',
      [key('ingestMinInstances')]: '1',
      [key('ingestMaxInstances')]: '100',
      [key('ingestConcurrency')]: '40',
      [key('ingestTimeoutSeconds')]: '90',
      [key('markerTtlDays')]: '2',
      [key('storeRejectedMemory')]: '512Mi',
      [key('storeRejectedCpu')]: '0.5',
      [key('storeRejectedMinInstances')]: '0',
      [key('storeRejectedMaxInstances')]: '3',
      [key('storeRejectedConcurrency')]: '1',
      [key('storeRejectedTimeoutSeconds')]: '30',
      [key('bigqueryDataset')]: 'loop_prod',
      [key('bigqueryLocation')]: 'europe-west4',
      [key('firestoreLocation')]: 'europe-west4',
      [key('alertEmail')]: 'oncall@shop.example',
      [key('patternsMemory')]: '4Gi',
      [key('patternsCpu')]: '2',
      [key('patternsTimeoutSeconds')]: '900',
      [key('patternsSchedule')]: '30 2 * * 1-5',
      [key('patternsTimeZone')]: 'Europe/Amsterdam',
      [key('patternsLogLevel')]: 'DEBUG',
      [key('patternsSettleMinutes')]: '30',
      [key('patternsSliceShoppers')]: '10000',
      [key('erasureMemory')]: '1Gi',
      [key('erasureCpu')]: '2',
      [key('erasureTimeoutSeconds')]: '600',
      [key('erasureSchedule')]: '*/30 * * * *',
      [key('erasureTimeZone')]: 'Europe/Berlin',
      [key('erasureLogLevel')]: 'WARNING',
      [key('retentionMemory')]: '256Mi',
      [key('retentionCpu')]: '0.5',
      [key('retentionTimeoutSeconds')]: '1200',
      [key('retentionSchedule')]: '0 1 * * 0',
      [key('retentionTimeZone')]: 'Europe/Paris',
      [key('retentionLogLevel')]: 'ERROR',
      [key('metricsMemory')]: '1Gi',
      [key('metricsCpu')]: '2',
      [key('metricsTimeoutSeconds')]: '600',
      [key('metricsSchedule')]: '30 5 * * *',
      [key('metricsTimeZone')]: 'Europe/London',
      [key('metricsLogLevel')]: 'DEBUG',
      [key('maximumBytesBilled')]: '10995116277760',
    });

    expect(config).toEqual<InfraConfig>({
      ...DESCRIBED_DEFAULTS,
      project: 'shop-prod',
      region: 'europe-west4',
      collect: {
        memory: '1Gi',
        cpu: '2',
        minInstances: 1,
        maxInstances: 50,
        concurrency: 200,
        timeoutSeconds: 30,
        corsOrigins: 'https://shop.example,https://m.shop.example',
        privacyCacheSeconds: 0,
      },
      users: {
        memory: '512Mi',
        cpu: '2',
        minInstances: 1,
        maxInstances: 30,
        concurrency: 150,
        timeoutSeconds: 10,
        // One origin list for the shop's pages, which call both collect and users.
        corsOrigins: 'https://shop.example,https://m.shop.example',
      },
      operators: {
        memory: '512Mi',
        cpu: '2',
        minInstances: 1,
        maxInstances: 3,
        concurrency: 5,
        timeoutSeconds: 120,
        logLevel: 'DEBUG',
        invokers: [
          'group:privacy-ops@shop.example',
          'user:dpo@shop.example',
          'serviceAccount:crm@shop-prod.iam.gserviceaccount.com',
          'domain:shop.example',
        ],
      },
      ingest: {
        memory: '1Gi',
        cpu: '2',
        minInstances: 1,
        maxInstances: 100,
        concurrency: 40,
        timeoutSeconds: 90,
        markerTtlDays: 2,
      },
      storeRejected: { memory: '512Mi', cpu: '0.5', minInstances: 0, maxInstances: 3, concurrency: 1, timeoutSeconds: 30 },
      // The stack's operators call every function operators call.
      history: {
        ...DESCRIBED_DEFAULTS.history,
        invokers: [
          'group:privacy-ops@shop.example',
          'user:dpo@shop.example',
          'serviceAccount:crm@shop-prod.iam.gserviceaccount.com',
          'domain:shop.example',
        ],
      },
      token: { issuer: 'shop-auth', audience: 'loop' },
      messageRetention: '43200s',
      bigquery: { dataset: 'loop_prod', location: 'europe-west4' },
      firestoreLocation: 'europe-west4',
      alertEmail: 'oncall@shop.example',
      patterns: {
        memory: '4Gi',
        cpu: '2',
        timeoutSeconds: 900,
        schedule: '30 2 * * 1-5',
        timeZone: 'Europe/Amsterdam',
        logLevel: 'DEBUG',
        settleMinutes: 30,
        sliceShoppers: 10_000,
      },
      erasure: { memory: '1Gi', cpu: '2', timeoutSeconds: 600, schedule: '*/30 * * * *', timeZone: 'Europe/Berlin', logLevel: 'WARNING' },
      retention: { memory: '256Mi', cpu: '0.5', timeoutSeconds: 1200, schedule: '0 1 * * 0', timeZone: 'Europe/Paris', logLevel: 'ERROR' },
      metrics: { memory: '1Gi', cpu: '2', timeoutSeconds: 600, schedule: '30 5 * * *', timeZone: 'Europe/London', logLevel: 'DEBUG' },
      maximumBytesBilled: 10_995_116_277_760,
      secrets: { userTokenKey: undefined, userHashKey: undefined },
    });
  });

  it("takes the keys from the stack's secret config, as secrets", async () => {
    const { secrets } = loadWith({
      'gcp:project': PROJECT,
      [key('userTokenKey')]: 't'.repeat(32),
      [key('userHashKey')]: 'h'.repeat(40),
    });
    if (!secrets.userTokenKey || !secrets.userHashKey) throw new Error('the keys given were not read');

    expect(await pulumi.isSecret(secrets.userTokenKey)).toBe(true);
    expect(await pulumi.isSecret(secrets.userHashKey)).toBe(true);
    expect(await valueOf(secrets.userTokenKey)).toBe('t'.repeat(32));
    expect(await valueOf(secrets.userHashKey)).toBe('h'.repeat(40));
  });

  it.each(['userTokenKey', 'userHashKey'])('refuses a %s the functions would refuse, under 32 characters, without showing it', (name) => {
    const load = () => loadWith({ 'gcp:project': PROJECT, [key(name)]: 'short-key-31-characters-long-xx' });

    expect(load).toThrow(new RegExp(`^${name} must have at least 32 characters$`));
  });

  it('names each operator once, however often the stack lists them', () => {
    const config = loadWith({
      'gcp:project': PROJECT,
      [key('operators')]: 'user:dpo@shop.example,,user:dpo@shop.example , group:ops@shop.example',
    });

    expect(config.operators.invokers).toEqual(['user:dpo@shop.example', 'group:ops@shop.example']);
  });

  it('requires the project', () => {
    expect(() => loadWith({})).toThrow(/gcp:project/);
  });

  it.each([
    ['concurrency on a fraction of a vCPU', { collectCpu: '0.5' }, /collectCpu/],
    ['more minimum than maximum instances', { collectMinInstances: '5', collectMaxInstances: '2' }, /collectMinInstances/],
    ['a fractional instance count', { collectMaxInstances: '2.5' }, /collectMaxInstances/],
    ['concurrency above what Cloud Run allows', { collectConcurrency: '2000' }, /collectConcurrency/],
    ['memory without a unit Cloud Run reads', { collectMemory: '512MB' }, /collectMemory/],
    ['retention beyond 31 days', { messageRetention: '45d' }, /messageRetention/],
    ['retention below 10 minutes', { messageRetention: '5m' }, /messageRetention/],
    ['retention in words', { messageRetention: 'a week' }, /messageRetention/],
    ['users concurrency on a fraction of a vCPU', { usersCpu: '0.5' }, /usersConcurrency 80 needs usersCpu ≥ 1/],
    ['more minimum than maximum users instances', { usersMinInstances: '11' }, /usersMinInstances 11 exceeds usersMaxInstances 10/],
    ['a users timeout beyond what Cloud Run allows', { usersTimeoutSeconds: '3601' }, /usersTimeoutSeconds/],
    ['ingest concurrency on a fraction of a vCPU', { ingestCpu: '0.5' }, /ingestConcurrency 20 needs ingestCpu ≥ 1/],
    [
      'store-rejected concurrency on a fraction of a vCPU',
      { storeRejectedCpu: '0.5' },
      /storeRejectedConcurrency 20 needs storeRejectedCpu ≥ 1/,
    ],
    ['more minimum than maximum ingest instances', { ingestMinInstances: '60' }, /ingestMinInstances 60 exceeds ingestMaxInstances 50/],
    [
      'an ingest timeout beyond the push ack deadline',
      { ingestTimeoutSeconds: '300' },
      /ingestTimeoutSeconds 300 exceeds the push ack deadline/,
    ],
    ['a store-rejected timeout beyond the push ack deadline', { storeRejectedTimeoutSeconds: '121' }, /storeRejectedTimeoutSeconds 121/],
    ['markers that expire before Pub/Sub stops redelivering', { markerTtlDays: '7' }, /markerTtlDays 7 must exceed messageRetention 7d/],
    ['markers shorter than a longer retention', { messageRetention: '14d' }, /markerTtlDays 8 must exceed messageRetention 14d/],
    ['a dataset id BigQuery refuses', { bigqueryDataset: 'learning-loop' }, /bigqueryDataset/],
    ['an alert address that is not one email address', { alertEmail: 'a@shop.example, b@shop.example' }, /alertEmail/],
    [
      'a patterns run longer than Cloud Scheduler waits',
      { patternsTimeoutSeconds: '1801' },
      /patternsTimeoutSeconds 1801 must be between 15 and 1800/,
    ],
    [
      'a patterns run shorter than the shortest attempt deadline',
      { patternsTimeoutSeconds: '10' },
      /patternsTimeoutSeconds 10 must be between 15 and 1800/,
    ],
    ['a schedule that is not five cron fields', { patternsSchedule: '0 3 * *' }, /patternsSchedule must be a unix-cron expression/],
    ['a schedule in words', { patternsSchedule: 'every day' }, /patternsSchedule/],
    ['a time zone that does not exist', { patternsTimeZone: 'Mars/Olympus_Mons' }, /patternsTimeZone/],
    [
      'a log level the functions do not know',
      { patternsLogLevel: 'VERBOSE' },
      /patternsLogLevel must be one of DEBUG, INFO, WARNING, ERROR/,
    ],
    ['patterns memory without a unit Cloud Run reads', { patternsMemory: '2GB' }, /patternsMemory/],
    ['a negative settle time', { patternsSettleMinutes: '-1' }, /patternsSettleMinutes/],
    ['an empty slice', { patternsSliceShoppers: '0' }, /patternsSliceShoppers/],
    ['a byte cap below what BigQuery bills a query at least', { maximumBytesBilled: '1000000' }, /maximumBytesBilled/],
    ['a fractional byte cap', { maximumBytesBilled: '1073741824.5' }, /maximumBytesBilled must be a whole number/],
    ['a privacy cache longer than a minute', { privacyCacheSeconds: '61' }, /privacyCacheSeconds/],
    ['a negative privacy cache', { privacyCacheSeconds: '-1' }, /privacyCacheSeconds/],
    ['a fractional privacy cache', { privacyCacheSeconds: '2.5' }, /privacyCacheSeconds must be a whole number/],
    [
      'an operator without a member type',
      { operators: 'dpo@shop.example' },
      /operators must be a comma-separated list of IAM members.*"dpo@shop.example"/,
    ],
    ['everyone as an operator', { operators: 'group:ops@shop.example,allUsers' }, /operators .*"allUsers"/],
    ['every Google account as an operator', { operators: 'allAuthenticatedUsers' }, /operators .*"allAuthenticatedUsers"/],
    ['a member type IAM does not know', { operators: 'people:dpo@shop.example' }, /operators .*"people:dpo@shop.example"/],
    ['a user that is no address', { operators: 'user:dpo' }, /operators .*"user:dpo"/],
    ['a domain that is an address', { operators: 'domain:dpo@shop.example' }, /operators .*"domain:dpo@shop.example"/],
    ['a domain without its member type', { operators: 'shop.example' }, /operators .*"shop.example"/],
    ['operators concurrency on a fraction of a vCPU', { operatorsCpu: '0.5' }, /operatorsConcurrency 10 needs operatorsCpu ≥ 1/],
    [
      'more minimum than maximum operators instances',
      { operatorsMinInstances: '3' },
      /operatorsMinInstances 3 exceeds operatorsMaxInstances 2/,
    ],
    ['an operators log level the functions do not know', { operatorsLogLevel: 'TRACE' }, /operatorsLogLevel must be one of/],
    [
      'an erasure run longer than Cloud Scheduler waits',
      { erasureTimeoutSeconds: '3600' },
      /erasureTimeoutSeconds 3600 must be between 15 and 1800/,
    ],
    ['an erasure schedule that is not five cron fields', { erasureSchedule: 'hourly' }, /erasureSchedule must be a unix-cron expression/],
    ['a retention schedule of six fields', { retentionSchedule: '0 30 2 * * *' }, /retentionSchedule must be a unix-cron expression/],
    ['a retention time zone that does not exist', { retentionTimeZone: 'Europe/Atlantis' }, /retentionTimeZone/],
    ['a metrics schedule of six fields', { metricsSchedule: '0 0 4 * * *' }, /metricsSchedule must be a unix-cron expression/],
    [
      'a metrics run longer than Cloud Scheduler waits',
      { metricsTimeoutSeconds: '3600' },
      /metricsTimeoutSeconds 3600 must be between 15 and 1800/,
    ],
    ['retention memory without a unit Cloud Run reads', { retentionMemory: '512' }, /retentionMemory/],
  ])('refuses %s', (_case, settings: Record<string, string>, named) => {
    const config = Object.fromEntries(Object.entries(settings).map(([name, value]) => [key(name), value]));

    expect(() => loadWith({ 'gcp:project': PROJECT, ...config })).toThrow(named);
  });
});
