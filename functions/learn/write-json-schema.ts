import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPreferenceDocumentJsonSchema } from './preference-document-schema.ts';

// `npm run schema`: regenerates the checked-in JSON Schema of the preference document from its zod schema.
export const PREFERENCES_JSON_SCHEMA_PATH = fileURLToPath(new URL('./preferences.schema.json', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(PREFERENCES_JSON_SCHEMA_PATH, renderPreferenceDocumentJsonSchema());
  process.stdout.write(`wrote ${PREFERENCES_JSON_SCHEMA_PATH}\n`);
}
