// Prints vitest's totals as one plain line ("tests: N passed, N failed, N skipped") for CI logs.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('test-artifacts/vitest.json', 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
process.exit(report.numFailedTests > 0 || report.numTotalTests === 0 ? 1 : 0);
