import {
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type RawBuilder,
  sql,
} from "kysely";
import { SESSION_FEATURES } from "./schema.ts";

export type Dialect = "sqlite" | "postgres";

/**
 * Schema migrations, in order. Never edit one that has shipped: add a new one. Each takes the dialect
 * because ids and "now" are spelled differently in SQLite and PostgreSQL; everything else is shared.
 */
export function migrations(dialect: Dialect): Record<string, Migration> {
  const now: RawBuilder<number> =
    dialect === "postgres" ? sql`(extract(epoch from now()))` : sql`(unixepoch('subsec'))`;
  // biome-ignore lint/suspicious/noExplicitAny: builder type varies per table
  const withId = (t: CreateTableBuilder<any, any>) =>
    dialect === "postgres"
      ? t.addColumn("id", "serial", (c) => c.primaryKey())
      : t.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
  // biome-ignore lint/suspicious/noExplicitAny: builder type varies per table
  const withCreated = (t: CreateTableBuilder<any, any>) =>
    t.addColumn("created_at", "double precision", (c) => c.notNull().defaultTo(now));

  return {
    "0001_domain": {
      async up(db: Kysely<unknown>) {
        await withCreated(
          withId(db.schema.createTable("encryption_keys"))
            .addColumn("fingerprint", "text", (c) => c.notNull().unique())
            .addColumn("kdf", "text", (c) => c.notNull())
            .addColumn("salt", "text", (c) => c.notNull())
            .addColumn("params", "text", (c) => c.notNull())
            .addColumn("comment", "text"),
        ).execute();

        await withCreated(
          withId(db.schema.createTable("targets")).addColumn("host", "text", (c) => c.notNull().unique()),
        ).execute();

        await withCreated(
          withId(db.schema.createTable("incidents"))
            .addColumn("target_id", "integer", (c) => c.notNull().references("targets.id"))
            .addColumn("start", "double precision", (c) => c.notNull())
            .addColumn("stop", "double precision")
            .addColumn("status", "text", (c) => c.notNull().defaultTo("closed"))
            .addColumn("origin", "text", (c) => c.notNull().defaultTo("manual"))
            .addColumn("source", "text")
            .addColumn("comment", "text")
            .addColumn("key_id", "integer", (c) => c.references("encryption_keys.id"))
            .addColumn("processed", "integer", (c) => c.notNull().defaultTo(0)),
        ).execute();
        await db.schema
          .createIndex("incidents_target")
          .on("incidents")
          .columns(["target_id", "start"])
          .execute();

        let sessions = withId(db.schema.createTable("sessions"))
          .addColumn("incident_id", "integer", (c) =>
            c.notNull().references("incidents.id").onDelete("cascade"),
          )
          .addColumn("ip_hash", "text", (c) => c.notNull())
          .addColumn("ip_encrypted", "text")
          .addColumn("ip_plain", "text")
          .addColumn("host", "text")
          .addColumn("session_number", "integer", (c) => c.notNull())
          .addColumn("start_time", "double precision", (c) => c.notNull())
          .addColumn("end_time", "double precision", (c) => c.notNull())
          .addColumn("requests", "integer", (c) => c.notNull());
        for (const f of SESSION_FEATURES) sessions = sessions.addColumn(f, "double precision");
        await sessions
          .addColumn("country", "text")
          .addColumn("asn", "integer")
          .addColumn("as_org", "text")
          .addColumn("banned", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("ban_rule", "text")
          .addColumn("cluster_index", "integer")
          .addColumn("cluster_index2", "integer")
          .addColumn("attack", "integer")
          .addColumn("outlier_score", "double precision")
          .execute();
        await db.schema
          .createIndex("sessions_incident")
          .on("sessions")
          .columns(["incident_id", "attack"])
          .execute();
        await db.schema.createIndex("sessions_ip").on("sessions").column("ip_hash").execute();

        await withId(db.schema.createTable("user_agents"))
          .addColumn("ua_hash", "text", (c) => c.notNull().unique())
          .addColumn("ua", "text", (c) => c.notNull())
          .addColumn("family", "text")
          .addColumn("os", "text")
          .addColumn("device", "text")
          .addColumn("is_bot", "integer", (c) => c.notNull().defaultTo(0))
          .execute();

        await db.schema
          .createTable("session_user_agents")
          .addColumn("session_id", "integer", (c) =>
            c.notNull().references("sessions.id").onDelete("cascade"),
          )
          .addColumn("user_agent_id", "integer", (c) => c.notNull().references("user_agents.id"))
          .addColumn("requests", "integer", (c) => c.notNull())
          .addPrimaryKeyConstraint("session_user_agents_pk", ["session_id", "user_agent_id"])
          .execute();

        await withCreated(
          withId(db.schema.createTable("attacks"))
            .addColumn("incident_id", "integer", (c) =>
              c.notNull().references("incidents.id").onDelete("cascade"),
            )
            .addColumn("number", "integer", (c) => c.notNull())
            .addColumn("label_method", "text", (c) => c.notNull().defaultTo("manual"))
            .addColumn("confidence", "double precision")
            .addColumn("comment", "text")
            .addUniqueConstraint("attacks_incident_number", ["incident_id", "number"]),
        ).execute();

        await withCreated(
          withId(db.schema.createTable("botnets"))
            .addColumn("name", "text", (c) => c.notNull().unique())
            .addColumn("comment", "text"),
        ).execute();

        await withCreated(
          db.schema
            .createTable("attack_botnets")
            .addColumn("attack_id", "integer", (c) =>
              c.primaryKey().references("attacks.id").onDelete("cascade"),
            )
            .addColumn("botnet_id", "integer", (c) =>
              c.notNull().references("botnets.id").onDelete("cascade"),
            )
            .addColumn("score", "double precision")
            .addColumn("decision", "text", (c) => c.notNull())
            .addColumn("evidence", "text"),
        ).execute();

        await withCreated(
          withId(db.schema.createTable("anomaly_events"))
            .addColumn("target_id", "integer", (c) => c.notNull().references("targets.id"))
            .addColumn("kind", "text", (c) => c.notNull())
            .addColumn("channel", "text", (c) => c.notNull())
            .addColumn("signal", "text", (c) => c.notNull())
            .addColumn("score", "double precision", (c) => c.notNull())
            .addColumn("at", "double precision", (c) => c.notNull())
            .addColumn("incident_id", "integer", (c) => c.references("incidents.id").onDelete("set null")),
        ).execute();

        await withCreated(
          withId(db.schema.createTable("flow_runs"))
            .addColumn("kind", "text", (c) => c.notNull())
            .addColumn("source", "text", (c) => c.notNull())
            .addColumn("started_at", "double precision", (c) => c.notNull())
            .addColumn("finished_at", "double precision")
            .addColumn("window_seconds", "double precision")
            .addColumn("step_seconds", "double precision")
            .addColumn("parameters", "text")
            .addColumn("key_id", "integer", (c) => c.references("encryption_keys.id")),
        ).execute();

        await withId(db.schema.createTable("host_scores"))
          .addColumn("run_id", "integer", (c) => c.notNull().references("flow_runs.id").onDelete("cascade"))
          .addColumn("host_hash", "text", (c) => c.notNull())
          .addColumn("host_encrypted", "text")
          .addColumn("window_start", "double precision", (c) => c.notNull())
          .addColumn("window_end", "double precision", (c) => c.notNull())
          .addColumn("model", "text", (c) => c.notNull())
          .addColumn("flows", "integer", (c) => c.notNull())
          .addColumn("botnet_flows", "integer", (c) => c.notNull())
          .addColumn("score", "double precision", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("reason", "text")
          .execute();
        await db.schema
          .createIndex("host_scores_run")
          .on("host_scores")
          .columns(["run_id", "host_hash"])
          .execute();

        await withId(db.schema.createTable("periodicity_findings"))
          .addColumn("run_id", "integer", (c) => c.notNull().references("flow_runs.id").onDelete("cascade"))
          .addColumn("src_hash", "text", (c) => c.notNull())
          .addColumn("src_encrypted", "text")
          .addColumn("dst_hash", "text")
          .addColumn("dst_encrypted", "text")
          .addColumn("method", "text", (c) => c.notNull())
          .addColumn("period_ms", "double precision", (c) => c.notNull())
          .addColumn("count", "integer", (c) => c.notNull())
          .addColumn("score", "double precision")
          .addColumn("detail", "text")
          .execute();
        await db.schema
          .createIndex("periodicity_run")
          .on("periodicity_findings")
          .columns(["run_id", "src_hash"])
          .execute();
      },
    },
    "0002_anomaly_points": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("anomaly_points")
          .addColumn("target_id", "integer", (c) => c.notNull().references("targets.id"))
          .addColumn("signal", "text", (c) => c.notNull())
          .addColumn("at", "double precision", (c) => c.notNull())
          .addColumn("value", "double precision", (c) => c.notNull())
          .addColumn("score", "double precision", (c) => c.notNull())
          .addColumn("threshold", "double precision")
          .addColumn("interval_seconds", "double precision", (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex("anomaly_points_series")
          .on("anomaly_points")
          .columns(["target_id", "signal", "at"])
          .execute();
      },
    },
  };
}

export class InCodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}
