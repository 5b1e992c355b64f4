import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LIMITS } from '../events/limits.ts';

// Ids and arm names travel in every event's `context.experiments`: lower case, no spaces, short.
const Name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be 1–64 lower case letters, digits, "_", "." or "-", starting with a letter or digit');

const Arm = z.strictObject({
  name: Name,
  /** Relative: weights 9 and 1 send 90% and 10% of shoppers. */
  weight: z.number().positive().finite(),
});

/**
 * An experiment: shoppers are split over its arms by weight, and one arm is the control — the
 * behaviour without the change, which is also what shoppers see when the experiment's code path fails.
 */
export const Experiment = z.strictObject({ id: Name, control: Name, arms: z.array(Arm).min(2).max(16) }).superRefine((experiment, ctx) => {
  const names = experiment.arms.map((arm) => arm.name);
  if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['arms'], message: 'arm names must be unique' });
  if (!names.includes(experiment.control))
    ctx.addIssue({ code: 'custom', path: ['control'], message: `the control arm "${experiment.control}" is not one of the arms` });
});
export type Experiment = z.infer<typeof Experiment>;

/** A set of experiments, each id once; no more than an event's context may carry. */
export const Experiments = z
  .array(Experiment)
  .max(LIMITS.maxMapEntries)
  .superRefine((experiments, ctx) => {
    const ids = experiments.map((e) => e.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', message: 'experiment ids must be unique' });
  });

/** The experiment that decides whether a shopper's search is personalized at all. */
export const PERSONALIZATION_EXPERIMENT = 'personalization';

/** Half the shoppers see the engine's order (control), half their personalized order. */
export const DEFAULT_EXPERIMENT: Experiment = {
  id: PERSONALIZATION_EXPERIMENT,
  control: 'control',
  arms: [
    { name: 'control', weight: 50 },
    { name: 'personalized', weight: 50 },
  ],
};

/** Validates experiment definitions (at start-up); throws naming the first problem. */
export function parseExperiments(definitions: unknown): Experiment[] {
  const parsed = Experiments.safeParse(definitions);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid experiments: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.replace(/\s+/g, ' ').trim());
  }
  return parsed.data;
}

/**
 * The shopper's place in [0, 1) for one experiment: the first 48 bits of SHA-256(experiment id, user id).
 * Sticky without storing anything, and the experiment id salts it, so a shopper's arm in one
 * experiment says nothing about their arm in another.
 */
export function bucketOf(experimentId: string, userId: string): number {
  // NUL cannot occur in an id, so ("ab", "c") and ("a", "bc") never hash alike.
  const digest = createHash('sha256').update(`${experimentId}\u0000${userId}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * The arm a shopper is in: arms take consecutive slices of [0, 1) in their listed order, sized by
 * weight. Changing weights or the order of arms moves shoppers between arms; renaming an arm does not.
 */
export function assignArm(experiment: Experiment, userId: string): string {
  const total = experiment.arms.reduce((sum, arm) => sum + arm.weight, 0);
  const point = bucketOf(experiment.id, userId) * total;
  let upTo = 0;
  for (const arm of experiment.arms) {
    upTo += arm.weight;
    if (point < upTo) return arm.name;
  }
  // Only rounding in the running sum gets here: the point belongs to the last slice.
  return experiment.arms.at(-1)?.name ?? experiment.control;
}

/** The shopper's arms as `context.experiments` carries them: experiment id → arm. */
export function assignArms(experiments: readonly Experiment[], userId: string): Record<string, string> {
  return Object.fromEntries(experiments.map((experiment) => [experiment.id, assignArm(experiment, userId)]));
}

/** Whether the arm is the experiment's control. */
export function isControl(experiment: Experiment, arm: string): boolean {
  return experiment.control === arm;
}
