// Prints vitest's JSON result as the plain closing line CI readers understand.
import { readFileSync } from 'node:fs';

const r = JSON.parse(readFileSync(process.argv[2] ?? '.ci-results/vitest.json', 'utf8'));
const label = process.argv[3] ? `${process.argv[3]}: ` : '';
console.log(`${label}${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
