/**
 * Where the trail lives, from the configuration: a SQLite file (one processor; detection
 * keeps its tables in the same file) or a PostgreSQL database shared by several replicas
 * (each replica writes its own chain and keeps its detection state in a local SQLite file).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ProcessorConfig } from '../config/schema';
import { isPostgresUrl, openPostgresStore, safeDbLabel } from '../store/postgres';
import { StoreError } from '../store/errors';
import { openSqliteStore } from '../store/sqlite';
import type { TrailStore } from '../store/types';
import { keyDirOf, trailNameOf } from '../witness/paths';
import type { TrailSpec } from '../audit/sealer-thread';

export interface OpenedTrail {
  store: TrailStore;
  /** better-sqlite3 database of the detector's baselines, alerts and cursor. */
  stateDb: Database.Database;
  /** Where the state lives, for logs (`:memory:`, a file). */
  statePath: string;
  /** The --db value with any password masked. */
  label: string;
  close(): Promise<void>;
}

/** A hostname made into a replica id: a StatefulSet pod name (`mcptrail-0`) is stable across restarts. */
export function defaultReplicaId(hostname = os.hostname()): string {
  const id = hostname.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  return id.length > 0 ? id : 'replica';
}

export function usesPostgres(config: ProcessorConfig): boolean {
  return isPostgresUrl(config.store.path);
}

/** The chain this process writes: trail.chain_id with SQLite; the replica id with PostgreSQL. */
export function chainIdOf(config: ProcessorConfig): string {
  return usesPostgres(config) ? (config.trail.replica_id ?? defaultReplicaId()) : config.trail.chain_id;
}

/** This replica's detection state file (PostgreSQL trails only). */
export function statePathOf(config: ProcessorConfig): string {
  return path.join(config.store.state_dir ?? '.', `mcptrail-${chainIdOf(config)}.state.db`);
}

/**
 * The checkpoint signing key: trail.signing_key_file, else `<trail.key_dir>/<trail name>.ed25519.pem`
 * (key_dir defaults to ~/.mcptrail/keys: never beside the data). Replicas of one PostgreSQL
 * trail derive the same name from the URL; give them the same key (mount one secret) so
 * `mcptrail verify --public-key` checks every chain with one public key.
 */
export function signingKeyPathOf(config: ProcessorConfig): string {
  if (config.trail.signing_key_file) return config.trail.signing_key_file;
  return path.join(keyDirOf(config), `${trailNameOf(config.store.path)}.ed25519.pem`);
}

/** How another thread opens its own connection to this trail. */
export function trailSpecOf(config: ProcessorConfig, chainId: string): TrailSpec {
  return usesPostgres(config) ? { kind: 'postgres', url: config.store.path, chainId } : { kind: 'sqlite', path: config.store.path, chainId };
}

export function openStateDb(file: string): Database.Database {
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    throw new StoreError('MCPTRAIL_ERR_STORE_OPEN', `cannot open detection state '${file}': ${(err as Error).message}`, { cause: err });
  }
}

export async function openTrail(config: ProcessorConfig, onError?: (err: Error) => void): Promise<OpenedTrail> {
  if (!usesPostgres(config)) {
    const store = openSqliteStore({ path: config.store.path, chainId: config.trail.chain_id });
    return { store, stateDb: store.db, statePath: store.path, label: store.path, close: () => store.close() };
  }
  const chainId = chainIdOf(config);
  const statePath = statePathOf(config);
  const store = await openPostgresStore({ url: config.store.path, chainId, ...(onError ? { onError } : {}) });
  let stateDb: Database.Database;
  try {
    stateDb = openStateDb(statePath);
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    store,
    stateDb,
    statePath,
    label: safeDbLabel(config.store.path),
    close: async () => {
      try {
        await store.close();
      } finally {
        stateDb.close();
      }
    },
  };
}
