// Bundles the CLI into dist/cli (npm run build:cli; bin/botscope.js runs it). The packages every
// command loads are bundled in: loaded from node_modules, zod alone is ~100 files for Node's module
// loader, a fifth of a command's start. The others stay imports (native addons, data files beside
// their code, packages only some commands load).
import { readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const BUNDLED = ["commander", "zod", "yaml", "tinyglobby"];

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const out = new URL("../dist/cli", import.meta.url).pathname;
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [new URL("../src/cli/main.ts", import.meta.url).pathname],
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outdir: out,
  external: Object.keys(pkg.dependencies).filter((d) => !BUNDLED.includes(d)),
  // bundled CommonJS (commander, yaml) calls require for Node's own modules
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  logLevel: "warning",
});
