/**
 * The strings that must never reach the audit trail, an alert or a log.
 *
 * - pushed through tool arguments by the agent's `secret-corpus` scenario: the redactor's fixture
 *   corpus (packages/redact/test/fixtures/secret-corpus.ts) when present, else FALLBACK_CORPUS;
 * - also watched: the demo's own credentials (sent in context by the exfiltration scenario) and
 *   the HTTP server's bearer tokens (only ever in Authorization headers).
 * All values are fake, shaped like real ones.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(__filename);
const REPO_ROOT = path.resolve(__dirname, '../../..');
export const SECRET_CORPUS_FILE = path.join(REPO_ROOT, 'packages/redact/test/fixtures/secret-corpus.ts');

/** One credential per value rule of @mcptrail/redact, used when the redactor's corpus is absent. */
export const FALLBACK_CORPUS: readonly string[] = [
  'AKIAQ3EGRT5YZX7PLM2K',
  'ghp_C3J27XDCG2LmlZGEONYlgCtjfIZ4SOcMz9CP',
  'xoxb-248163264-5126310249-VNPkNa1Hedcm4pMbXDuCL1mH',
  'sk_live_oOsFaQfDPrAJ71fTquWoGsbe',
  'sk-proj-KXgzg2sye9b2Rann76dEyTzAeKOmXRrvftva9AW7',
  'AIzaprFmbh7-wy5yq1XoY1BaIMcAxYmfsB4HbQL',
  'eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAidS04ODEyIiwgInJvbGUiOiAiYWRtaW4iLCAiaWF0IjogMTc5MDAwMDAwMH0.XjjlAFbVV6q9rXxtNDFyuzX9k1gnneGEYG1-LwiqD9j',
  '-----BEGIN PRIVATE KEY-----\nJBAciI05FhfwKVqlUr5Qrec8TNecj9iNOrjj5VfqRTk8j1d/bWWbjkloG1QX647k\n-----END PRIVATE KEY-----',
  '4111 1111 1111 1111',
];

export function demoSecrets(): string[] {
  const { DEMO_SECRETS } = require(path.join(REPO_ROOT, 'examples/stdio-server/data.js')) as { DEMO_SECRETS: Record<string, string> };
  const { DEMO_TOKENS } = require(path.join(REPO_ROOT, 'examples/http-server/tokens.js')) as { DEMO_TOKENS: Record<string, string> };
  return [...Object.values(DEMO_SECRETS), ...Object.values(DEMO_TOKENS)];
}

export interface SecretWatch {
  /** Where the pushed secrets came from: the corpus file, or `fallback`. */
  source: string;
  /** Values the `secret-corpus` scenario sends through tool arguments; each detectable on its own. */
  pushed: string[];
  /** The secrets (or distinctive parts of them) found in `haystack`: corpus, demo credentials, tokens. */
  find(haystack: Buffer | string): string[];
}

interface CorpusModule {
  SECRET_CORPUS: ReadonlyArray<{ kind: string; value: string }>;
  findLeaks(haystack: string | Uint8Array): string[];
}

/**
 * The redactor's corpus (SECRET_CORPUS values, searched with its own `findLeaks`, which also
 * knows each value's secret parts), or FALLBACK_CORPUS when the fixture is absent.
 */
export async function secretWatch(): Promise<SecretWatch> {
  const demo = demoSecrets();
  if (existsSync(SECRET_CORPUS_FILE)) {
    const corpus = (await import(SECRET_CORPUS_FILE)) as CorpusModule;
    return {
      source: SECRET_CORPUS_FILE,
      pushed: corpus.SECRET_CORPUS.map((s) => s.value),
      find: (h) => [...corpus.findLeaks(typeof h === 'string' ? h : new Uint8Array(h)), ...leaked(h, demo)],
    };
  }
  const forms = [...new Set([...FALLBACK_CORPUS.flatMap(forbiddenForms), ...demo])];
  return { source: 'fallback', pushed: [...FALLBACK_CORPUS], find: (h) => leaked(h, forms) };
}

/** Which of `secrets` occur in `haystack` (bytes or text). */
export function leaked(haystack: Buffer | string, secrets: readonly string[]): string[] {
  const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  return secrets.filter((s) => bytes.includes(Buffer.from(s, 'utf8')));
}

/** A secret and the parts of it that must not appear either (lines of a PEM survive JSON escaping of the whole). */
export function forbiddenForms(secret: string): string[] {
  return [secret, ...secret.split('\n').filter((line) => line.length >= 12 && !line.startsWith('-----'))];
}
