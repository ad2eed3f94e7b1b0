/** Child process of the web benchmark: parse + sessionize + features over one file, prints JSON. */
import { runWebSessions } from "../src/web/pipeline.ts";

const file = process.argv[2];
let sessions = 0;
const t = performance.now();
const stats = await runWebSessions(
  [file],
  { gapSeconds: 1800, key: "ip", compat: false, weblog: { format: "combined" } },
  () => {
    sessions++;
  },
);
const seconds = (performance.now() - t) / 1000;
process.stdout.write(
  JSON.stringify({ lines: stats.lines, sessions, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
);
