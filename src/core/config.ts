import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { applyEnv, configFile } from "./config-defaults.ts";
import { UserError } from "./errors.ts";

/**
 * botscope.yaml: every option has a default, so an empty or absent file is a valid configuration
 * (config-defaults.ts has the defaults without zod, for commands run without a file).
 * Secrets are better given through the environment (BOTSCOPE_PASSPHRASE, BOTSCOPE_HASH_PASSPHRASE,
 * BOTSCOPE_DB), which overrides the file.
 */
export const configSchema = z
  .object({
    store: z
      .object({
        /** SQLite file path or postgres:// URL. */
        url: z.string().min(1).default("./botscope.db"),
      })
      .strict()
      .default({ url: "./botscope.db" }),
    privacy: z
      .object({
        /** Passphrase for IP encryption (AES-256-GCM, scrypt-derived key). */
        passphrase: z.string().min(1).optional(),
        /** Passphrase for the keyed IP hash (HMAC-SHA-256); defaults to the encryption passphrase. */
        hashPassphrase: z.string().min(1).optional(),
        /** scrypt cost parameters for new keys. */
        scrypt: z
          .object({
            N: z
              .number()
              .int()
              .min(1024)
              .refine((n) => (n & (n - 1)) === 0, "must be a power of two")
              .default(32768),
            r: z.number().int().min(1).max(32).default(8),
            p: z.number().int().min(1).max(16).default(1),
          })
          .strict()
          .default({ N: 32768, r: 8, p: 1 }),
      })
      .strict()
      .default({ scrypt: { N: 32768, r: 8, p: 1 } }),
    web: z
      .object({
        sessionGapSeconds: z.number().positive().default(1800),
        sessionKey: z.enum(["ip", "ip+host"]).default("ip"),
        format: z.string().default("auto"),
      })
      .strict()
      .default({ sessionGapSeconds: 1800, sessionKey: "ip", format: "auto" }),
    flows: z
      .object({
        windowSeconds: z.number().positive().default(300),
        stepSeconds: z.number().positive().default(150),
        internal: z.array(z.string()).default(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
      })
      .strict()
      .default({
        windowSeconds: 300,
        stepSeconds: 150,
        internal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
      }),
    anomaly: z
      .object({
        threshold: z.number().min(0).max(1).default(0.95),
        intervalSeconds: z.number().positive().default(120),
        holdMinutes: z.number().nonnegative().default(60),
      })
      .strict()
      .default({ threshold: 0.95, intervalSeconds: 120, holdMinutes: 60 }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

export interface LoadedConfig {
  config: Config;
  /** The file that was read, if any. */
  path?: string;
}

/** Formats zod issues as "path.to.option: message" lines. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
}

/**
 * Loads the configuration: an explicit --config path (must exist), else ./botscope.yaml when present,
 * else defaults; then applies environment overrides.
 */
export function loadConfig(
  explicitPath?: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): LoadedConfig {
  let raw: unknown = {};
  const path = configFile(explicitPath, cwd);
  if (path) {
    try {
      raw = parseYaml(readFileSync(path, "utf8")) ?? {};
    } catch (e) {
      throw new UserError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return { config: parseConfig(raw, env, path ?? "configuration"), path };
}

/** Validates a raw configuration object and applies environment overrides. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}, origin = "configuration"): Config {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new UserError(`${origin}: ${formatIssues(parsed.error)}`);
  return applyEnv(parsed.data, env);
}

/** The configuration with secrets masked, for `config show`. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  if (copy.privacy.passphrase) copy.privacy.passphrase = "********";
  if (copy.privacy.hashPassphrase) copy.privacy.hashPassphrase = "********";
  copy.store.url = copy.store.url.replace(/\/\/([^:/@]+):([^@]+)@/, "//$1:********@");
  return copy;
}
