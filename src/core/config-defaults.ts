/**
 * The configuration as far as it needs no file: the defaults (what configSchema in config.ts makes of
 * an empty file; a test holds the two equal), which file to read, and the environment's overrides.
 * Kept apart from config.ts so that a command run without a botscope.yaml starts without loading zod
 * and yaml (~60 ms of a command's start).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Config, LoadedConfig } from "./config.ts";
import { UserError } from "./errors.ts";

export function defaultConfig(): Config {
  return {
    store: { url: "./botscope.db" },
    privacy: { scrypt: { N: 32768, r: 8, p: 1 } },
    web: { sessionGapSeconds: 1800, sessionKey: "ip", format: "auto" },
    flows: {
      windowSeconds: 300,
      stepSeconds: 150,
      internal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    },
    anomaly: { threshold: 0.95, intervalSeconds: 120, holdMinutes: 60 },
  };
}

/** The file to read: an explicit path (must exist), else ./botscope.yaml when present, else none. */
export function configFile(explicitPath: string | undefined, cwd: string): string | undefined {
  if (explicitPath) {
    const path = resolve(cwd, explicitPath);
    if (!existsSync(path)) throw new UserError(`config file not found: ${explicitPath}`);
    return path;
  }
  const local = resolve(cwd, "botscope.yaml");
  return existsSync(local) ? local : undefined;
}

/** The environment's overrides (secrets and the store are better given there than in the file). */
export function applyEnv(config: Config, env: NodeJS.ProcessEnv): Config {
  if (env.BOTSCOPE_DB) config.store.url = env.BOTSCOPE_DB;
  else if (env.BOTSCOPE_DATABASE_URL) config.store.url = env.BOTSCOPE_DATABASE_URL;
  if (env.BOTSCOPE_PASSPHRASE) config.privacy.passphrase = env.BOTSCOPE_PASSPHRASE;
  if (env.BOTSCOPE_HASH_PASSPHRASE) config.privacy.hashPassphrase = env.BOTSCOPE_HASH_PASSPHRASE;
  return config;
}

/** loadConfig of config.ts, which is loaded (with zod and yaml) only when there is a file to read. */
export async function startConfig(
  explicitPath?: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<LoadedConfig> {
  if (configFile(explicitPath, cwd)) return (await import("./config.ts")).loadConfig(explicitPath, env, cwd);
  return { config: applyEnv(defaultConfig(), env), path: undefined };
}
