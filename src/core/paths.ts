import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The project's directory (where package.json is), found from this module's place: the same from the
 * sources (src/core) and from the bundled CLI (dist/cli), so files such as dist/*.wasm resolve in both.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

export const PROJECT_ROOT = findRoot();

/** A path inside the project: projectPath("dist", "capture.wasm"). */
export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
