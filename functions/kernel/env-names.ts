import type { z } from 'zod';

/** The names of a settings schema's environment variables, each typed: `env.PATTERNS_SETTLE_MINUTES`, never the string. */
export type EnvNames<S extends z.ZodObject> = { readonly [K in keyof S['shape'] & string]: K };

/** Each environment variable of `schema`, by its own name. */
export function envNames<S extends z.ZodObject>(schema: S): EnvNames<S> {
  const names: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) names[name] = name;
  // Every key of the shape, mapped to itself: what EnvNames<S> says.
  return names as EnvNames<S>;
}
