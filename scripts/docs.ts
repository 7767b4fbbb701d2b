// `npm run docs` writes the README's input and output tables from action.yml;
// `npm run docs -- --check` (CI) only compares, and fails when they differ.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { DocsError, generateReadme } from './readme-docs.js';

const check = process.argv.includes('--check');
const readme = await readFile('README.md', 'utf8');
let generated: ReturnType<typeof generateReadme>;
try {
  generated = generateReadme(readme, (file) => readFileSync(file, 'utf8'));
} catch (error) {
  if (!(error instanceof DocsError)) throw error;
  console.error(error.message);
  process.exit(1);
}
if (generated.unclaimed.length > 0) {
  console.error(`Inputs in no group, listed under "Other": ${generated.unclaimed.join(', ')} (add them to a group in scripts/readme-docs.ts)`);
}
if (generated.readme === readme) {
  console.log('README.md tables match their action metadata.');
} else if (check) {
  const before = readme.split('\n');
  const after = generated.readme.split('\n');
  const line = after.findIndex((text, index) => text !== before[index]);
  console.error(`README.md tables differ from their action metadata (first at line ${line + 1}):\n- ${before[line] ?? ''}\n+ ${after[line] ?? ''}\nRun 'npm run docs' and commit README.md.`);
  process.exit(1);
} else {
  await writeFile('README.md', generated.readme);
  console.log('README.md tables written from their action metadata.');
}
