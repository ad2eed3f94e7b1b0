import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { UserError } from "../core/errors.ts";
import { type Dialect, InCodeMigrations } from "./migrations.ts";
import type { Database } from "./schema.ts";

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where it lives, with any password masked. */
  location: string;
  close(): Promise<void>;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens the store (SQLite file by default, PostgreSQL for postgres:// URLs) and brings its schema up to
 * date; migrating is idempotent, so every command can call this.
 */
export async function openStore(url: string): Promise<Store> {
  const store = isPostgresUrl(url) ? openPostgres(url) : openSqlite(url);
  try {
    await migrate(store);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

function openSqlite(url: string): Store {
  const path = url === ":memory:" ? url : resolve(url.replace(/^sqlite:(\/\/)?/, ""));
  let sqlite: SqliteDatabase.Database;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    sqlite = new SqliteDatabase(path);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    // one writer at a time: the dashboard's clustering worker can hold the lock for seconds on a large incident
    sqlite.pragma("busy_timeout = 30000");
  } catch (e) {
    throw new UserError(`cannot open SQLite store ${path}: ${(e as Error).message}`);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: "sqlite", location: path, close: () => db.destroy() };
}

function openPostgres(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle connection the server closes (restart, admin termination) must not crash the process: the pool
  // drops it and the next query opens a new one (or fails with a clear error if the server is gone).
  pool.on("error", () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const location = url.replace(/\/\/([^:/@]+):([^@]+)@/, "//$1:********@");
  return { db, dialect: "postgres", location, close: () => db.destroy() };
}

async function migrate(store: Store): Promise<void> {
  const migrator = new Migrator({ db: store.db, provider: new InCodeMigrations(store.dialect) });
  let result: Awaited<ReturnType<Migrator["migrateToLatest"]>>;
  try {
    result = await migrator.migrateToLatest();
  } catch (e) {
    throw storeError(store, e);
  }
  if (result.error) throw storeError(store, result.error);
}

function storeError(store: Store, e: unknown): UserError {
  const err = e as NodeJS.ErrnoException & { errors?: Error[] };
  const detail = err.code === "ECONNREFUSED" || err.errors ? "connection refused" : err.message;
  return new UserError(`store ${store.location}: ${detail}`);
}
