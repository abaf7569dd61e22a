// Prints the authorization matrix of test/authz-table.ts as markdown, for the
// "Authorization matrix" section of docs/RELIABILITY.md (test/authz-matrix.test.ts fails
// when that section and the table differ). Usage: npx tsx scripts/reliability/authz-table.ts
import { matrixMarkdown } from '../../test/authz-table.ts';

process.stdout.write(matrixMarkdown());
