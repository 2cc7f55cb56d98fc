/**
 * Where the trust anchors live by default: outside the store's directory, so that someone
 * who can write the database cannot also rewrite the key that signs it or the record of
 * what was published. Both are derived from the configuration (never from the store's
 * contents), so a replaced store cannot point the verifier elsewhere.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { ProcessorConfig } from '../config/schema';
import { isPostgresUrl, safeDbLabel } from '../store/postgres';

export function defaultKeyDir(): string {
  return path.join(os.homedir(), '.mcptrail', 'keys');
}

export function defaultWitnessDir(): string {
  return path.join(os.homedir(), '.mcptrail', 'witness');
}

/**
 * A stable file-name stem for one trail: the database's base name and 8 hex of SHA-256 of
 * its absolute path (SQLite) or of its password-masked URL (PostgreSQL).
 */
export function trailNameOf(storePath: string): string {
  if (isPostgresUrl(storePath)) {
    const label = safeDbLabel(storePath);
    const db = /\/([^/?]+)(\?|$)/.exec(label.replace(/^postgres(ql)?:\/\/[^/]*/, ''))?.[1] ?? 'postgres';
    return `${db.replace(/[^A-Za-z0-9._-]/g, '-')}-${createHash('sha256').update(label).digest('hex').slice(0, 8)}`;
  }
  const abs = path.resolve(storePath);
  const base = path.basename(abs).replace(/\.(db|sqlite3?)$/, '').replace(/[^A-Za-z0-9._-]/g, '-') || 'trail';
  return `${base}-${createHash('sha256').update(abs).digest('hex').slice(0, 8)}`;
}

export function keyDirOf(config: ProcessorConfig): string {
  return config.trail.key_dir ?? defaultKeyDir();
}

export function witnessDirOf(config: ProcessorConfig): string {
  return config.witness.dir ?? defaultWitnessDir();
}

/** The witness file of one chain of this trail. */
export function witnessFileOf(config: ProcessorConfig, chainId: string): string {
  return path.join(witnessDirOf(config), `${trailNameOf(config.store.path)}.${chainId}.witness`);
}

/** The SQLite file's directory (null for PostgreSQL and :memory:). */
export function storeDirOf(config: ProcessorConfig): string | null {
  if (isPostgresUrl(config.store.path) || config.store.path === ':memory:') return null;
  return path.dirname(path.resolve(config.store.path));
}
