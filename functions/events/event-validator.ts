import { validateEvent } from './event-validator.generated.ts';

/**
 * Whether a value is a valid event (`ClientEvent`), by the validator ajv compiled from the published JSON Schema.
 * It accepts exactly what zod accepts (a property test holds it to that); it says nothing of why, so a refused
 * event goes to zod for its reasons.
 */
export const matchesEventSchema: (value: unknown) => boolean = validateEvent;
