import type { Command } from "commander";
import type { Config } from "../core/config.ts";
import { startConfig } from "../core/config-defaults.ts";
import type { Store } from "../store/open.ts";

export interface GlobalOptions {
  config?: string;
  db?: string;
  json?: boolean;
}

/** What a command runs with: the effective configuration and, opened on first use, the store. */
export class CommandContext {
  readonly config: Config;
  readonly configPath: string | undefined;
  readonly json: boolean;
  private opened: Store | undefined;

  private constructor(opts: GlobalOptions, config: Config, configPath: string | undefined) {
    this.config = config;
    this.configPath = configPath;
    if (opts.db) this.config.store.url = opts.db;
    this.json = Boolean(opts.json);
  }

  static async open(opts: GlobalOptions): Promise<CommandContext> {
    const loaded = await startConfig(opts.config);
    return new CommandContext(opts, loaded.config, loaded.path);
  }

  async store(): Promise<Store> {
    // imported here: commands that never open the store start without its drivers
    this.opened ??= await (await import("../store/open.ts")).openStore(this.config.store.url);
    return this.opened;
  }

  async close(): Promise<void> {
    await this.opened?.close();
  }
}

/**
 * Wraps a command action: builds the context from the global and local options and always closes the
 * store, also when the action fails.
 */
export function action<A extends unknown[]>(
  fn: (ctx: CommandContext, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const ctx = await CommandContext.open(cmd.optsWithGlobals<GlobalOptions>());
    try {
      await fn(ctx, ...(args.slice(0, -1) as A));
    } finally {
      await ctx.close();
    }
  };
}
