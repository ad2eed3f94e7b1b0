import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface StoreVariant {
  name: string;
  /** Why this variant cannot run here, or undefined when it can. */
  skip?: string;
  /** A fresh, empty store URL and its cleanup. */
  create(): Promise<{ url: string; cleanup(): Promise<void> }>;
}

const pgAdminUrl = process.env.BOTSCOPE_TEST_PG_URL;

/**
 * The stores every store test runs against: a SQLite file, and a real PostgreSQL server started by
 * scripts/pg-test-server.sh (.ci/run does this). On CI a missing server is a failure, not a skip.
 */
export function storeVariants(): StoreVariant[] {
  const sqlite: StoreVariant = {
    name: "sqlite",
    async create() {
      const dir = mkdtempSync(join(tmpdir(), "botscope-store-"));
      return {
        url: join(dir, "botscope.db"),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  };
  const postgres: StoreVariant = {
    name: "postgres",
    skip:
      pgAdminUrl || process.env.CI
        ? undefined
        : 'PostgreSQL variant skipped: set BOTSCOPE_TEST_PG_URL (eval "$(scripts/pg-test-server.sh)")',
    async create() {
      if (!pgAdminUrl) throw new Error("BOTSCOPE_TEST_PG_URL is not set: CI must start PostgreSQL");
      const name = `botscope_t_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
      const admin = new pg.Client({ connectionString: pgAdminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(pgAdminUrl);
      url.pathname = `/${name}`;
      return {
        url: url.toString(),
        async cleanup() {
          const c = new pg.Client({ connectionString: pgAdminUrl });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        },
      };
    },
  };
  if (postgres.skip) process.stderr.write(`# ${postgres.skip}\n`);
  return [sqlite, postgres];
}
