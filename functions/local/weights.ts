import { parseArgs } from 'node:util';
import { VersionName, type PromoteOutcome, type Rollout, type WeightsStore, type WeightsVersion } from '../kernel/weights-versions.ts';
import { localPorts } from './local-functions.ts';
import { LOCAL } from './local-settings.ts';

// `npm run weights -- show [--project ID]`: which ranking weights version is current, which is the challenger, and
// their weights, the engine order's (prior) first. `npm run weights -- promote <version> [--project ID]`: makes a version current for every
// personalized search, once the metrics job's readout says it wins (docs/weights.md). Locally (`npm start` running)
// on the Firestore emulator; with `--project`, on the deployed project with the operator's application default
// credentials.

export type WeightsCommand = { action: 'show'; project?: string } | { action: 'promote'; version: string; project?: string };

const USAGE = 'usage: npm run weights -- show [--project ID] | promote <version> [--project ID]';

export function parseWeightsArgs(args: string[]): WeightsCommand {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { project: { type: 'string' } } });
  const project = values.project ? { project: values.project } : {};
  const [action, version, ...rest] = positionals;
  if (action === 'show' && version === undefined) return { action, ...project };
  if (action === 'promote' && version !== undefined && rest.length === 0) {
    if (!VersionName.safeParse(version).success) throw new Error(`not a version name: ${version}\n${USAGE}`);
    return { action, version, ...project };
  }
  throw new Error(USAGE);
}

/** Runs the command on the store; answers what to print and whether it went well. */
export async function runWeightsCommand(command: WeightsCommand, store: WeightsStore, now: Date): Promise<{ ok: boolean; output: string }> {
  if (command.action === 'show') {
    const rollout = await store.rollout();
    return { ok: true, output: await describeRollout(rollout, store) };
  }
  const outcome = await store.promote(command.version, now);
  return { ok: outcome.promoted, output: describePromotion(command.version, outcome) };
}

export function describePromotion(version: string, outcome: PromoteOutcome): string {
  if (outcome.promoted)
    return `promoted ${version}: current ${outcome.rollout.current}, challenger ${outcome.rollout.challenger ?? 'none'}`;
  return outcome.reason === 'already_current' ? `${version} is already current` : `no weights version ${version} is stored`;
}

async function describeRollout(rollout: Rollout, store: WeightsStore): Promise<string> {
  const line = async (role: string, name: string | null) => {
    if (name === null) return `${role}: none`;
    const version: WeightsVersion | null = await store.read(name);
    // The engine order's weight first: the signals' weights are in its units.
    return `${role}: ${name} ${version === null ? '(not stored)' : `prior ${version.prior_weight ?? 1} ${JSON.stringify(version.weights)}`}`;
  };
  return [await line('current', rollout.current), await line('challenger', rollout.challenger), `updated ${rollout.updated_at}`].join('\n');
}

if (import.meta.main) {
  try {
    const command = parseWeightsArgs(process.argv.slice(2));
    if (!command.project) {
      process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${localPorts(process.env).firestore}`;
      process.env.METADATA_SERVER_DETECTION ??= 'none';
    }
    const { Firestore } = await import('@google-cloud/firestore');
    const { createFirestoreWeightsStore } = await import('../adapters/gcp/firestore-weights-store.ts');
    const firestore = new Firestore({ projectId: command.project ?? LOCAL.projectId });
    try {
      const { ok, output } = await runWeightsCommand(command, createFirestoreWeightsStore(firestore), new Date());
      process.stdout.write(`${output}\n`);
      if (!ok) process.exitCode = 1;
    } finally {
      await firestore.terminate();
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
