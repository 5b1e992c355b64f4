import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type InfraConfig } from '../../infra/config.ts';
import { PROJECT, PULUMI_PROJECT, startMocks } from './run-program.ts';

const key = (name: string) => `${PULUMI_PROJECT}:${name}`;

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
      },
      token: { issuer: 'grocery-shop', audience: 'learning-loop' },
      messageRetention: '604800s',
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
      [key('tokenIssuer')]: 'shop-auth',
      [key('tokenAudience')]: 'loop',
      [key('messageRetention')]: '12h',
    });

    expect(config).toEqual<InfraConfig>({
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
      },
      token: { issuer: 'shop-auth', audience: 'loop' },
      messageRetention: '43200s',
    });
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
  ])('refuses %s', (_case, settings: Record<string, string>, named) => {
    const config = Object.fromEntries(Object.entries(settings).map(([name, value]) => [key(name), value]));

    expect(() => loadWith({ 'gcp:project': PROJECT, ...config })).toThrow(named);
  });
});
