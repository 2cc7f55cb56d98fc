// The generated secret/PII corpus and the look-alike corpus of @mcptrail/redact's tests
// (packages/redact/test/fixtures/generated-corpus.ts), loaded here by transpiling the one
// TypeScript file with the repository's own `typescript`, so the benchmark measures recall on
// exactly the cases the tests use.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const SOURCE = fileURLToPath(new URL('../../packages/redact/test/fixtures/generated-corpus.ts', import.meta.url));

export function loadGeneratedCorpus() {
  const ts = require('typescript');
  const out = ts.transpileModule(fs.readFileSync(SOURCE, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-corpus-'));
  const file = path.join(dir, 'generated-corpus.cjs');
  fs.writeFileSync(file, out.outputText);
  try {
    return require(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
