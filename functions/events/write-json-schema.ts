import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderEventsJsonSchema } from './json-schema.ts';

// `npm run schema`: regenerates the checked-in JSON Schema from the zod contract.
export const JSON_SCHEMA_PATH = fileURLToPath(new URL('./events.schema.json', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(JSON_SCHEMA_PATH, renderEventsJsonSchema());
  process.stdout.write(`wrote ${JSON_SCHEMA_PATH}\n`);
}
