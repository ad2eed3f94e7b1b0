import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Command } from "commander";
import { watchCommand } from "../../src/cli/commands/watch.ts";
import { listAnomalyEvents } from "../../src/store/anomaly-events.ts";
import { openStore } from "../../src/store/open.ts";

/** `botscope watch --replay` through commander, on a tiny log with a burst of 5xx after a calm hour. */
test("watch --replay --events FILE --json --no-chain", async () => {
  const dir = mkdtempSync(join(tmpdir(), "botscope-watch-cli-"));
  const prev = process.env.BOTSCOPE_PASSPHRASE;
  process.env.BOTSCOPE_PASSPHRASE = "test";
  const writes: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  try {
    const log = join(dir, "a.log");
    const base = Date.parse("2026-03-02T00:00:00Z") / 1000;
    let text = "";
    // 6 hours, 20 requests per minute; 10 minutes of mostly 503 at hour 5
    for (let s = 0; s < 6 * 3600; s += 3) {
      const t = base + s;
      const bad = s >= 5 * 3600 && s < 5 * 3600 + 600 && s % 9 !== 0;
      const d = new Date(t * 1000);
      const p = (n: number) => String(n).padStart(2, "0");
      text += `10.1.${s % 5}.${s % 200} - - [${p(d.getUTCDate())}/Mar/2026:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000] "GET /x/${s} HTTP/1.1" ${bad ? 503 : 200} 10 "-" "ua"\n`;
    }
    writeFileSync(log, `${text}this is garbage\n`);
    const events = join(dir, "events.jsonl");
    const program = new Command("botscope").option("--db <url>").option("--config <file>");
    program.addCommand(watchCommand());
    program.exitOverride();
    // capture our text; the test runner's own (binary) reports pass through
    const capture = (orig: typeof process.stdout.write) =>
      ((s: string | Uint8Array, ...rest: never[]) =>
        typeof s === "string" ? writes.push(s) > 0 : orig(s, ...rest)) as typeof process.stdout.write;
    process.stdout.write = capture(origOut);
    process.stderr.write = capture(origErr);
    await program.parseAsync(
      [
        "--db",
        join(dir, "b.db"),
        "watch",
        log,
        "--replay",
        "--learn-hours",
        "1",
        "--hold-minutes",
        "20",
        "--events",
        events,
        "--no-chain",
        "--no-geo",
        "--json",
      ],
      { from: "user" },
    );
    process.stdout.write = origOut;
    process.stderr.write = origErr;
    const summary = JSON.parse(writes.join(""));
    assert.equal(summary.mode, "replay");
    assert.equal(summary.badLines.total, 1);
    assert.equal(summary.requests, 7200);
    assert.equal(summary.incidents.length, 1);
    assert.equal(summary.incidents[0].signal, "success_ratio");
    const lines = readFileSync(events, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((m) => [m.message_type, m.target_host, m.channel]),
      [
        ["anomaly_started", "unknown", "HTTP_response"],
        ["anomaly_stopped", "unknown", "HTTP_response"],
      ],
    );
    assert.equal(lines[0].time_stamp, "2026-03-02T05:00:00.000Z");
    const store = await openStore(join(dir, "b.db"));
    try {
      assert.equal((await listAnomalyEvents(store)).length, 2);
    } finally {
      await store.close();
    }
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
    if (prev === undefined) delete process.env.BOTSCOPE_PASSPHRASE;
    else process.env.BOTSCOPE_PASSPHRASE = prev;
    rmSync(dir, { recursive: true, force: true });
  }
});
