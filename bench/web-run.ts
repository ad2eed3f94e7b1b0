/** Child process of the web benchmark: parse + sessionize + features over one file, prints JSON. */
import { runWebSessions } from "../src/web/pipeline.ts";

const file = process.argv[2];
let sessions = 0;
const cpu = process.cpuUsage();
const t = performance.now();
const stats = await runWebSessions(
  [file],
  { gapSeconds: 1800, key: "ip", compat: false, weblog: { format: "combined" } },
  () => {
    sessions++;
  },
);
const seconds = (performance.now() - t) / 1000;
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;
process.stdout.write(
  JSON.stringify({
    lines: stats.lines,
    kernelLines: stats.kernelLines ?? 0,
    sessions,
    seconds,
    cpuSeconds,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
