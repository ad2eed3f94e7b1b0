#!/usr/bin/env node
// Launcher. Runs the bundled CLI (dist/cli, made by `npm run build`, which `npm ci` runs) when it is
// newer than every source file: it starts in half the time. Otherwise (sources edited since the last
// build) it runs the TypeScript sources through tsx, so a change never runs stale code.
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = new URL("../dist/cli/main.js", import.meta.url);

function bundleIsFresh() {
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  const src = fileURLToPath(new URL("../src", import.meta.url));
  for (const e of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && statSync(`${e.parentPath ?? e.path}/${e.name}`).mtimeMs > built) return false;
  }
  return true;
}

let run;
if (bundleIsFresh()) ({ run } = await import(bundle.href));
else {
  const { register } = await import("tsx/esm/api");
  // The packages every command loads, imported before tsx's hooks are registered: through the hooks
  // each of their files costs a round trip to the hooks' thread (zod alone has 200 files).
  await Promise.all([import("commander"), import("zod"), import("yaml")]);
  register();
  ({ run } = await import("../src/cli/main.ts"));
}
process.exitCode = await run(process.argv.slice(2));
