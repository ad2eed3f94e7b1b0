import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Command } from "commander";
import { parseTime, scoreCsv } from "../../src/anomaly/csv.ts";
import { createState, scoreSeries, update } from "../../src/anomaly/detector.ts";
import { synthetic } from "../../src/anomaly/synthetic.ts";
import { anomalyCommand } from "../../src/cli/commands/anomaly.ts";

const work = mkdtempSync(join(tmpdir(), "botscope-anomaly-"));

test("time parsing: ISO-8601 with zones and fractions, epoch seconds and milliseconds", () => {
  assert.equal(parseTime("2024-01-01T00:00:00Z"), 1704067200);
  assert.equal(parseTime("2024-01-01 02:00:00+02:00"), 1704067200);
  assert.equal(parseTime("2024-01-01T00:00:01.5Z"), 1704067201.5);
  assert.equal(parseTime("2024-01-01T00:00"), 1704067200);
  assert.equal(parseTime("1704067200"), 1704067200);
  assert.equal(parseTime("1704067200000"), 1704067200);
  assert.ok(Number.isNaN(parseTime("yesterday")));
  assert.ok(Number.isNaN(parseTime("2024-13-01T00:00:00Z")));
});

test("CSV round trip: one row per good row, in order, same scores as the detector; bad rows reported", async () => {
  const s = synthetic("ddos", 5, 4);
  const lines = ["timestamp,value"];
  for (let i = 0; i < s.values.length; i++) {
    const t = i % 2 ? String(s.times[i]) : new Date(s.times[i] * 1000).toISOString();
    lines.push(`${t},${s.values[i]}`);
  }
  lines.splice(100, 0, "not a time,0.5", "2024-01-01T00:00:00Z,abc", "1,2,3", "\u0000\u0001\u00ff\u00fe", "");
  lines.splice(200, 0, `${s.times[197]},`); // missing value
  const input = join(work, "in.csv");
  const out = join(work, "out.csv");
  writeFileSync(input, `${lines.join("\n")}\n`, "latin1");
  const r = await scoreCsv(input, out);
  assert.equal(r.header, true);
  assert.equal(r.badLines.total, 5);
  assert.equal(r.badLines.byReason["bad-time"], 1);
  assert.equal(r.badLines.byReason["bad-number"], 1);
  assert.equal(r.badLines.byReason["wrong-field-count"], 1);
  assert.equal(r.badLines.byReason.binary, 1);
  assert.equal(r.badLines.byReason.empty, 1);
  assert.equal(r.badLines.examples["bad-time"]?.[0].line, 101);
  assert.equal(r.missing, 1);
  const rows = readFileSync(out, "utf8").trimEnd().split("\n");
  assert.equal(rows[0], "timestamp,value,anomaly_score");
  assert.equal(rows.length - 1, s.values.length + 1);
  const expected = scoreSeries(s.times, s.values);
  const got = rows.slice(1).filter((l) => !l.endsWith(","));
  assert.equal(got.length, s.values.length);
  for (let i = 0; i < got.length; i++) {
    const f = got[i].split(",");
    assert.equal(Number(f[1]), s.values[i]);
    assert.ok(Math.abs(Number(f[2]) - expected[i]) <= 5e-5, `row ${i}`);
  }
});

test("perPoint writes each point's own score (the alarm score is that score or 0)", async () => {
  const s = synthetic("ddos", 2, 5);
  const input = join(work, "per-point.csv");
  writeFileSync(input, `t,v\n${Array.from(s.values, (v, i) => `${s.times[i]},${v}`).join("\n")}\n`);
  const out = join(work, "per-point.out.csv");
  await scoreCsv(input, out, { perPoint: true });
  const st = createState();
  const rows = readFileSync(out, "utf8").trimEnd().split("\n").slice(1);
  let differs = 0;
  for (let i = 0; i < rows.length; i++) {
    const alarm = update(st, s.times[i], s.values[i]);
    const got = Number(rows[i].split(",")[2]);
    assert.ok(Math.abs(got - st.surprise) <= 5e-5, `row ${i}`);
    if (Math.abs(got - alarm) > 5e-5) differs++;
  }
  assert.ok(differs > 0, "the gate changes some rows");
});

test("--strict fails on a bad row with file:line and leaves no output", async () => {
  const input = join(work, "strict.csv");
  writeFileSync(input, "timestamp,value\n1,1\n2,x\n3,1\n");
  await assert.rejects(scoreCsv(input, join(work, "strict.out.csv"), { strict: true }), /strict\.csv:3/);
});

test("the command prints a JSON summary", async () => {
  const input = join(work, "cmd.csv");
  writeFileSync(input, "ts,v\n1700000000,1\n1700000120,1\n1700000240,garbage\n");
  const program = new Command("botscope").option("--config <file>").option("--db <url>");
  program.addCommand(anomalyCommand());
  program.exitOverride();
  let printed = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array, ...rest: never[]) => {
    if (typeof c !== "string") return write(c, ...rest); // the test runner's own stream
    printed += c;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(["anomaly", "score", input, "--out", join(work, "cmd.out.csv"), "--json"], {
      from: "user",
    });
  } finally {
    process.stdout.write = write;
  }
  const j = JSON.parse(printed);
  assert.equal(j.rows, 2);
  assert.equal(j.badLines.total, 1);
});
