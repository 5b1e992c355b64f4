import { readFileSync, writeFileSync } from 'node:fs';
import { readFigures, withTables } from './cost-model.ts';

// npm run cost: rewrites docs/cost.md's tables from test/bench/figures.json.
const page = new URL('../../docs/cost.md', import.meta.url);
writeFileSync(page, withTables(readFileSync(page, 'utf8'), readFigures()));
console.log(JSON.stringify({ severity: 'INFO', message: 'cost tables written', file: 'docs/cost.md' }));
