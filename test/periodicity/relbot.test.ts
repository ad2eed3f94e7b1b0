/**
 * relbot compatibility mode: the golden outputs of the original byte for byte, hand-computed small cases
 * of the timedetector's rules (ties at the max, MIN_VAL edges, RADIUS at the array ends, dedup of
 * (level, idx) cells, time 0 dropped, duplicate periods, byte order of hosts), its exact arithmetic
 * (glibc's pow, C++ float printing, netflowaggr's float seconds), the configuration file, and the
 * bidirectional merge. With BOTSCOPE_RELBOT_TIMEDETECTOR pointing at a build of the original, random
 * cases are also compared with it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runBeacons } from "../../src/app/beacons.ts";
import { canonicalIpv4 } from "../../src/core/addresses.ts";
import { Rng } from "../../src/core/random.ts";
import type { Flow } from "../../src/ingest/flows/record.ts";
import { BidirectionalMerger } from "../../src/periodicity/bidirectional.ts";
import { exactPow } from "../../src/periodicity/exact-pow.ts";
import {
  formatCppFloat,
  formatRelbotText,
  nfdumpTextMs,
  parseRelbotConfig,
  parseRelbotText,
  RELBOT_COMPILED_DEFAULTS,
  RELBOT_DEFAULTS,
  type RelbotConfig,
  RelbotDetector,
  RelbotKernel,
  type RelbotResult,
  relbotWeights,
} from "../../src/periodicity/relbot.ts";
import { RelbotTextReader } from "../../src/periodicity/relbot-input.ts";
import { flowOf } from "./scenarios.ts";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const golden = join(root, "../shared/data/periodicity/relbot-golden");
const work = mkdtempSync(join(tmpdir(), "botscope-relbot-"));

/** The relbot mode as the command runs it (relbot text read with the original's stdin semantics). */
async function relbotOn(file: string, config?: RelbotConfig): Promise<string> {
  const run = await runBeacons({ files: [file], mode: "relbot", relbot: config });
  return formatRelbotText(run.relbot as RelbotResult);
}

/** Runs the detector over `<ms> <src> <dst>` lines. */
function relbotLines(
  lines: string[],
  config: Partial<RelbotConfig> = {},
): ReturnType<RelbotDetector["flush"]> {
  const det = new RelbotDetector({ ...RELBOT_DEFAULTS, ...config });
  for (const l of lines) {
    const [ms, src, dst] = l.split(" ");
    det.push(Number(ms), src, dst);
  }
  return det.flush();
}

/** `n` events of pair a->b at phase `phaseMs` of `periodMs`, one per level, from `t0`. */
function beats(t0: number, periodMs: number, phaseMs: number, n: number, src = "a", dst = "b"): string[] {
  return Array.from({ length: n }, (_, k) => `${t0 + phaseMs + k * periodMs} ${src} ${dst}`);
}

const small: Partial<RelbotConfig> = { periods: [10000], unitMs: 1000, radius: 0 };

describe("relbot golden outputs (byte for byte)", () => {
  for (const name of ["synthetic_30min_5peers", "rita_missing_host"]) {
    const input = ["flows.txt", "flows.txt.gz"].map((e) => join(golden, `${name}.${e}`)).find(existsSync);
    const expected = join(golden, `${name}.relbot_cpp.out`);
    const skip = !input || !existsSync(expected) ? `golden data absent (${golden})` : false;
    it(`${name}: same bytes as the original's output`, { skip }, async () => {
      const got = await relbotOn(input as string);
      assert.equal(got, readFileSync(expected, "latin1"));
    });
  }

  it("synthetic_30min_5peers: 4 of 5 peers at 10, 15 and 30 min, as the original", {
    skip: existsSync(join(golden, "synthetic_30min_5peers.flows.txt")) ? false : "golden data absent",
  }, async () => {
    const text = await relbotOn(join(golden, "synthetic_30min_5peers.flows.txt"));
    const hosts = parseRelbotText(text);
    assert.deepEqual(
      hosts.map((h) => h.host),
      ["10.0.0.1"],
    );
    assert.deepEqual(
      [...hosts[0].counts],
      [
        [600000, 4],
        [900000, 4],
        [1800000, 4],
        [2400000, 0],
      ],
    );
  });
});

describe("relbot timedetector rules, hand-computed", () => {
  it("a pair with one beat per level at one phase is periodic (RADIUS 0: max 4, mean 4, std 0, T = 4)", () => {
    const r = relbotLines(beats(1_000_000, 10000, 1000, 4), small);
    assert.equal(formatRelbotText(r), "=============================\na\n10000 -> 1\n");
  });

  it("ties at the max are not periodic (two phases with 4 levels each: two bins reach T)", () => {
    const lines = [...beats(1_000_000, 10000, 1000, 4), ...beats(1_000_000, 10000, 5000, 4)];
    assert.equal(relbotLines(lines, small).hosts.length, 0);
    const k = new RelbotKernel({ ...RELBOT_DEFAULTS, ...small } as RelbotConfig);
    const times = Float64Array.from(lines.map((l) => Number(l.split(" ")[0]))).sort();
    const v = k.evaluate(times, times.length, times.length, 10000);
    assert.equal(v.max, 4);
    assert.equal(v.threshold, 4);
    assert.equal(v.above, 2);
    assert.equal(v.periodic, false);
  });

  it("a second bin at or above T that is not the max also rejects (MAX_COEF 0.25 lowers T to 1)", () => {
    const lines = beats(1_000_000, 10000, 0, 4);
    const base = { periods: [10000], unitMs: 1000, radius: 3, dispCoef: 0, meanCoef: 0, freeCoef: 0 };
    // RADIUS 3 spreads 4 events at idx 0 into bins 4, 4 w1 = 1.33, 4 w2 = 0.55, 4 w3 = 0
    assert.equal(relbotLines(lines, { ...base, maxCoef: 0.5 }).hosts.length, 1); // T = 2
    assert.equal(relbotLines(lines, { ...base, maxCoef: 0.25 }).hosts.length, 0); // T = 1: bins 0 and 1
  });

  it("a threshold at or below zero counts the empty bins too (FREE_COEF -10: never periodic)", () => {
    assert.equal(relbotLines(beats(1_000_000, 10000, 0, 6), { ...small, freeCoef: -10 }).hosts.length, 0);
  });

  it("MIN_VAL edges: pairs below MIN_VAL flows are skipped; the peak must reach MIN_VAL", () => {
    // 3 flows with MIN_VAL 4: skipped, with MIN_VAL 3: periodic
    assert.equal(relbotLines(beats(1_000_000, 10000, 0, 3), small).hosts.length, 0);
    assert.equal(relbotLines(beats(1_000_000, 10000, 0, 3), { ...small, minVal: 3 }).hosts.length, 1);
    // 4 flows but two in one (level, idx) cell: size check passes, the peak is only 3
    const dup = ["1000000 a b", "1000500 a b", "1010000 a b", "1020000 a b"];
    assert.equal(relbotLines(dup, small).hosts.length, 0);
    assert.equal(relbotLines(dup, { ...small, minVal: 3 }).hosts.length, 1);
    // MIN_VAL 4.5: 4 flows are not enough, 5 are (the comparison is with a double)
    assert.equal(relbotLines(beats(1_000_000, 10000, 0, 4), { ...small, minVal: 4.5 }).hosts.length, 0);
    assert.equal(relbotLines(beats(1_000_000, 10000, 0, 5), { ...small, minVal: 4.5 }).hosts.length, 1);
  });

  it("RADIUS at the array ends: bins below 0 dropped, P/UNIT + RADIUS + 1 bins, no wrap", () => {
    const c = { ...RELBOT_DEFAULTS, periods: [10000], unitMs: 1000, radius: 3 } as RelbotConfig;
    const k = new RelbotKernel(c);
    assert.equal(k.size(10000), 14);
    const w = relbotWeights(3);
    // idx 0: bins 0..3 get 4, 4 w1, 4 w2, 0 (bin 3 stays zero: w3 = 0), bins -1..-3 are dropped
    const at0 = Float64Array.from(beats(0, 10000, 5, 4).map((l) => Number(l.split(" ")[0]) + 1_000_000));
    const v0 = k.evaluate(at0, 4, 4, 10000);
    const mean = (4 + 4 * w[1] + 4 * w[2]) / 3;
    assert.equal(v0.mean, mean);
    assert.equal(v0.std, Math.sqrt((16 + 4 * w[1] * (4 * w[1]) + 4 * w[2] * (4 * w[2])) / 3 - mean * mean));
    assert.equal(v0.periodic, true);
    // the first beat defines phase 0; four more at idx 9 (the last): bins 6..12, inside the 14 bins
    const at9 = Float64Array.from([1_000_000, 1_009_500, 1_019_500, 1_029_500, 1_039_500]);
    const v9 = k.evaluate(at9, 5, 5, 10000);
    assert.equal(v9.max, 4);
    assert.equal(v9.periodic, true);
    // beats split across the wrap (idx 9 and idx 0 of the next level) do not add up: 2 + 2 < MIN_VAL
    const split = ["1009500 a b", "1010100 a b", "1019500 a b", "1020100 a b"].map((l) =>
      Number(l.split(" ")[0]),
    );
    const vs = k.evaluate(Float64Array.from([1_000_000, ...split]), 5, 5, 10000);
    assert.ok(vs.max < 4, `max ${vs.max}`);
    assert.equal(vs.periodic, false);
  });

  it("each (level, idx) cell counts once", () => {
    const lines = ["1000000 a b", "1000100 a b", "1000900 a b", "1010000 a b", "1020000 a b", "1030000 a b"];
    const k = new RelbotKernel({ ...RELBOT_DEFAULTS, ...small } as RelbotConfig);
    const times = Float64Array.from(lines.map((l) => Number(l.split(" ")[0])));
    assert.equal(k.evaluate(times, 6, 6, 10000).max, 4);
    // the same idx on another level is another cell
    const other = Float64Array.from([1000000, 1000100, 1010100, 1020100, 1030100]);
    assert.equal(k.evaluate(other, 5, 5, 10000).max, 4);
  });

  it("time 0 is dropped (the edge stays, its time does not count)", () => {
    const lines = ["0 a b", "0 a b", ...beats(1_000_000, 10000, 0, 3)];
    const r = relbotLines(lines, small);
    assert.equal(r.hosts.length, 0, "3 flows with a time: below MIN_VAL");
    assert.equal(r.zeroTimes, 2);
    assert.equal(r.pairs, 1);
  });

  it("hosts in byte order (10.0.0.10 before 10.0.0.2, IPv6 among them), periods numerically", () => {
    const lines: string[] = [];
    for (const h of ["10.0.0.2", "10.0.0.10", "fe80::1", "2001:db8::5", "192.168.1.1"])
      lines.push(...beats(1_000_000, 10000, 0, 4, h, "x"));
    const r = relbotLines(lines, { ...small, periods: [10000, 5000] });
    assert.deepEqual(
      r.hosts.map((h) => h.host),
      ["10.0.0.10", "10.0.0.2", "192.168.1.1", "2001:db8::5", "fe80::1"],
    );
    assert.deepEqual(r.periods, [5000, 10000]);
    assert.match(
      formatRelbotText(r),
      /^=============================\n10\.0\.0\.10\n5000 -> 1\n10000 -> 1\n/,
    );
  });

  it("a period listed twice is counted as the original counts it (1 + 1, added twice: 4)", () => {
    const r = relbotLines(beats(1_000_000, 10000, 0, 4), { ...small, periods: [10000, 10000] });
    assert.equal(formatRelbotText(r), "=============================\na\n10000 -> 4\n");
  });

  it("counts add up per source over its destinations", () => {
    const lines = [...beats(1_000_000, 10000, 0, 4, "a", "b"), ...beats(1_000_000, 10000, 3000, 4, "a", "c")];
    assert.equal(
      formatRelbotText(relbotLines(lines, small)),
      "=============================\na\n10000 -> 2\n",
    );
  });
});

describe("relbot arithmetic", () => {
  it("the kernel weights are glibc's 1 - pow(float(d) / RADIUS, 1/e), to the last bit", () => {
    assert.deepEqual(Array.from(relbotWeights(3)), [1, 0.332460599748444, 0.13857067749624108, 0]);
    assert.deepEqual(Array.from(relbotWeights(0)), [1]);
    // glibc rounds (39/95)^(1/e) the other way from the correctly rounded result
    assert.equal(relbotWeights(95)[39], 0.2792973818330059);
    assert.equal(1 - exactPow(Math.fround(39 / 95), 1 / Math.E), 0.279297381833006);
  });

  it("exactPow is correctly rounded where V8's Math.pow is an ulp off", () => {
    const q = Math.fround(2 / 3);
    assert.equal(exactPow(q, 1 / Math.E), 0.8614293225037589);
    assert.equal(exactPow(0.25, 0.5), 0.5);
    assert.equal(exactPow(1, 3), 1);
    assert.equal(exactPow(0, 3), 0);
  });

  it("counts print as C++ prints a float", () => {
    assert.equal(formatCppFloat(0), "0");
    assert.equal(formatCppFloat(4), "4");
    assert.equal(formatCppFloat(999999), "999999");
    assert.equal(formatCppFloat(1000000), "1e+06");
    assert.equal(formatCppFloat(1234567), "1.23457e+06");
    assert.equal(formatCppFloat(0.5), "0.5");
  });

  it("nfdump text times lose a millisecond where netflowaggr's float seconds round down", () => {
    const minute = Date.parse("2023-11-14T22:13:00Z");
    assert.equal(nfdumpTextMs(minute + 16223), minute + 16223);
    let shifted = 0;
    for (let ms = 0; ms < 60000; ms++) {
      const got = nfdumpTextMs(minute + ms);
      assert.ok(got === minute + ms || got === minute + ms - 1);
      if (got !== minute + ms) shifted++;
    }
    assert.equal(shifted, 370);
  });

  it("canonical IPv4 text takes the integer path, anything else the string path", () => {
    assert.equal(canonicalIpv4("10.0.0.1"), 0x0a000001);
    assert.equal(canonicalIpv4("255.255.255.255"), 0xffffffff);
    for (const s of ["010.0.0.1", "10.0.0", "10.0.0.256", "::1", "10.0.0.1 ", "a.b.c.d"])
      assert.equal(canonicalIpv4(s), -1);
    // "010.0.0.1" and "10.0.0.1" stay two hosts, as in the original
    const r = relbotLines(
      [...beats(1_000_000, 10000, 0, 4, "010.0.0.1"), ...beats(1_000_000, 10000, 0, 4, "10.0.0.1")],
      small,
    );
    assert.deepEqual(
      r.hosts.map((h) => h.host),
      ["010.0.0.1", "10.0.0.1"],
    );
  });

  it("storage keeps every time of a long pair (chunk chain past 8190 times)", () => {
    const det = new RelbotDetector({ ...RELBOT_DEFAULTS, periods: [10000], radius: 0 } as RelbotConfig);
    for (let k = 0; k < 20000; k++) det.push(1_000_000 + k * 10000, "a", "b");
    const r = det.flush();
    assert.equal(r.hosts.length, 1);
    assert.equal(r.flows, 20000);
  });
});

describe("relbot text read as the original reads its stdin", () => {
  function read(text: string): { records: string[]; stopped: RelbotTextReader["stopped"] } {
    const records: string[] = [];
    const r = new RelbotTextReader((ms, st, ss, se, dt, ds, de) => {
      records.push(`${ms} ${st.slice(ss, se)} ${dt.slice(ds, de)}`);
    });
    text.split("\n").forEach((l, i) => {
      r.line(l, i + 1, "in");
    });
    r.end();
    return { records, stopped: r.stopped };
  }

  it("any whitespace separates tokens, records may span lines, any token is an address", () => {
    const r = read("1 a b\n2\tc\n d\r\n3 host-a ::1%eth0\n");
    assert.deepEqual(r.records, ["1 a b", "2 c d", "3 host-a ::1%eth0"]);
    assert.equal(r.stopped, undefined);
  });

  it("a time is read as far as its digits go; the first non-number ends the input", () => {
    const r = read("12x y z\n5 a b\n");
    // 12, then "x" and "y" are the addresses; "z" is not a number: the original stops there
    assert.deepEqual(r.records, ["12 x y"]);
    assert.equal(r.stopped?.reason, "not-a-number");
    assert.equal(r.stopped?.line, 1);
  });

  it("an incomplete last record is dropped; overflow and wrapped times stop reading", () => {
    assert.deepEqual(read("1 a b\n2 c\n").records, ["1 a b"]);
    assert.equal(read("18446744073709551616 a b").stopped?.reason, "overflow");
    assert.equal(read("-5 a b").stopped?.reason, "unsupported-time");
    assert.deepEqual(read("+7 a b\n-0 c d").records, ["7 a b", "0 c d"]);
  });

  it("the detector gets what the original would: golden-style lines with odd spacing", async () => {
    const file = join(work, "spacing.txt");
    writeFileSync(
      file,
      beats(1_000_000, 600000, 0, 5, "h1", "h2")
        .map((l) => l.replace(/ /g, "  \t"))
        .join("\r\n"),
    );
    const r = await runBeacons({ files: [file], mode: "relbot" });
    assert.equal(r.format, "relbot");
    assert.equal(r.flows, 5);
    assert.equal(formatRelbotText(r.relbot as RelbotResult).split("\n")[1], "h1");
  });
});

describe("relbot configuration (timedetector.json)", () => {
  it("reads the original's keys; missing keys take the compiled-in values, not the shipped ones", () => {
    const c = parseRelbotConfig('{"times": [600000, 900000], "RADIUS": 2, "comment_1": "x", "threads": 4}');
    assert.deepEqual(c.periods, [600000, 900000]);
    assert.equal(c.radius, 2);
    assert.equal(c.dispCoef, RELBOT_COMPILED_DEFAULTS.dispCoef);
    assert.equal(c.dispCoef, -3);
    assert.equal(c.maxCoef, 1);
    const shipped = parseRelbotConfig(
      '{"times":[600000,900000,1800000,2400000],"DISP_COEF":0.5,"MEAN_COEF":0.5,"FREE_COEF":0,"MAX_COEF":0.5,"UNIT_MS":1000,"RADIUS":3,"MIN_VAL":4.0,"threads":4}',
    );
    assert.deepEqual(shipped, { ...RELBOT_DEFAULTS, periods: [...RELBOT_DEFAULTS.periods] });
    // boost reads values as text: numbers in strings work
    assert.equal(parseRelbotConfig('{"times": ["600000"], "MIN_VAL": "3.5"}').minVal, 3.5);
  });

  it("refuses what the original would crash on, naming the key", () => {
    assert.throws(() => parseRelbotConfig("{}"), /times/);
    assert.throws(() => parseRelbotConfig('{"times": [0]}'), /positive integers/);
    assert.throws(() => parseRelbotConfig('{"times": [600000], "UNIT_MS": 0}'), /UNIT_MS/);
    assert.throws(() => parseRelbotConfig('{"times": [600000], "RADIUS": -1}'), /RADIUS/);
    assert.throws(() => parseRelbotConfig('{"times": [600000], "UNIT_MS": 1.5}'), /UNIT_MS/);
    assert.throws(() => parseRelbotConfig("{times"), /not valid JSON/);
  });
});

describe("bidirectional merge (netflowaggr)", () => {
  function merged(flows: Flow[], window = 120_000): string[] {
    const out: string[] = [];
    const m = new BidirectionalMerger(
      (f) => out.push(`${f.start * 1000} ${f.srcAddr}>${f.dstAddr}`),
      (f) => f.start * 1000,
      window,
    );
    for (const f of flows) m.push(f);
    m.flush();
    return out;
  }

  it("drops the reverse of a held flow within the window and keeps the first direction", () => {
    const t = 1_700_000_000_000;
    const out = merged([
      flowOf(t, "A", "B", { sp: 10, dp: 20 }),
      flowOf(t + 1000, "B", "A", { sp: 20, dp: 10 }), // reverse: A->B is emitted, this one dropped
      flowOf(t + 2000, "B", "A", { sp: 20, dp: 10 }), // nothing held any more: held itself
      flowOf(t + 3000, "A", "B", { sp: 10, dp: 99 }), // other port: not a reverse
      flowOf(t + 200_000, "C", "D"), // expires everything older than t + 80 s
      flowOf(t + 200_500, "A", "B", { sp: 10, dp: 20 }), // the held B->A expired: not merged
    ]);
    assert.deepEqual(out, [
      `${t} A>B`,
      `${t + 2000} B>A`,
      `${t + 3000} A>B`,
      `${t + 200_000} C>D`,
      `${t + 200_500} A>B`,
    ]);
  });

  it("a reverse merges every held flow of its key at once", () => {
    const t = 1_700_000_000_000;
    const out = merged([
      flowOf(t, "A", "B", { sp: 1, dp: 2 }),
      flowOf(t + 10, "A", "B", { sp: 1, dp: 2 }),
      flowOf(t + 20, "B", "A", { sp: 2, dp: 1 }),
    ]);
    assert.deepEqual(out, [`${t} A>B`, `${t + 10} A>B`]);
  });
});

const original = process.env.BOTSCOPE_RELBOT_TIMEDETECTOR;
describe("against a build of the original (BOTSCOPE_RELBOT_TIMEDETECTOR)", () => {
  it("random configurations and inputs give the same bytes", {
    skip: original ? false : "BOTSCOPE_RELBOT_TIMEDETECTOR not set",
  }, async () => {
    for (let c = 0; c < 40; c++) {
      const rng = new Rng(4242 + c);
      const periods = Array.from({ length: rng.intBetween(1, 4) }, () =>
        rng.pick([600000, 900000, 60000, 5000, 123457]),
      );
      const cfg = {
        times: periods,
        UNIT_MS: rng.pick([1000, 500, 250, 7]),
        RADIUS: rng.pick([3, 0, 1, 5, 100]),
        MIN_VAL: rng.pick([4, 3, 2.5, 6]),
        DISP_COEF: rng.pick([0.5, 0, -0.5, 1]),
        MEAN_COEF: rng.pick([0.5, 0, 1]),
        FREE_COEF: rng.pick([0, 0.25, -1]),
        MAX_COEF: rng.pick([0.5, 0.25, 1]),
      };
      const lines: string[] = [];
      const hosts = ["10.0.0.1", "10.0.0.10", "10.0.0.2", "fe80::1", "2001:db8::1", "host-a"];
      for (let p = 0; p < 30; p++) {
        const s = rng.pick(hosts);
        const d = rng.pick(hosts);
        const period = rng.pick(periods) * rng.pick([1, 2, 0.5]);
        const jitter = rng.pick([0, 300, 1500, 4000]);
        const start = 1_700_000_000_000 + rng.intBetween(0, 3_600_000);
        for (let k = 0; k < rng.intBetween(2, 30); k++)
          lines.push(
            `${rng.chance(0.03) ? 0 : Math.round(start + k * period + (rng.next() - 0.5) * 2 * jitter)} ${s} ${d}`,
          );
      }
      const cfgFile = join(work, `c${c}.json`);
      const inFile = join(work, `c${c}.txt`);
      writeFileSync(cfgFile, JSON.stringify(cfg));
      writeFileSync(inFile, `${lines.join("\n")}\n`);
      const want = spawnSync(original as string, ["--config", cfgFile], {
        input: readFileSync(inFile),
        encoding: "latin1",
      });
      assert.equal(want.status, 0);
      const got = await relbotOn(inFile, parseRelbotConfig(readFileSync(cfgFile, "utf8")));
      assert.equal(got, want.stdout, `case ${c}`);
    }
  });
});
