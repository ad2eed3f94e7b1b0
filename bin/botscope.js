#!/usr/bin/env node
// Launcher: runs the TypeScript sources through tsx, so `npm ci` needs no build step.
import { register } from "tsx/esm/api";

// The packages every command loads, imported before tsx's hooks are registered: through the hooks
// each of their files costs a round trip to the hooks' thread (zod alone has 200 files).
await Promise.all([import("commander"), import("zod"), import("yaml")]);
register();
const { run } = await import("../src/cli/main.ts");
process.exitCode = await run(process.argv.slice(2));
