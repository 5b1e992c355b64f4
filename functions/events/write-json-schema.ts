import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderEventValidator } from './compile-event-validator.ts';
import { renderEventsJsonSchema } from './json-schema.ts';

// `npm run schema`: regenerates the checked-in JSON Schema from the zod contract, and collect's validator from it.
export const JSON_SCHEMA_PATH = fileURLToPath(new URL('./events.schema.json', import.meta.url));
export const EVENT_VALIDATOR_PATH = fileURLToPath(new URL('./event-validator.generated.ts', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(JSON_SCHEMA_PATH, renderEventsJsonSchema());
  writeFileSync(EVENT_VALIDATOR_PATH, renderEventValidator());
  process.stdout.write(`wrote ${JSON_SCHEMA_PATH} and ${EVENT_VALIDATOR_PATH}\n`);
}
