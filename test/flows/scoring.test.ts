import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { garciaMetrics, type IpDecision } from "../../src/flows/garcia.ts";
import { ctu13Label, parseLabelRanges, rangeLabels } from "../../src/flows/labels.ts";
import { type HostCounts, HostScorer } from "../../src/flows/scoring.ts";
import { emptyFlow, type Flow } from "../../src/ingest/flows/record.ts";

const counts = (entries: [string, number, number][]): Map<string, HostCounts> =>
  new Map(entries.map(([h, flows, botnet]) => [h, { flows, botnet }]));

describe("host score", () => {
  test("a single host works; score = 0.3 r + 0.7 previous with r = botnet / (flows + 1)", () => {
    const s = new HostScorer();
    const a = s.update(0, counts([["10.0.0.1", 9, 9]]));
    assert.equal(a.length, 1);
    assert.equal(a[0].r, 0.9);
    assert.ok(Math.abs(a[0].score - 0.27) < 1e-12);
    const b = s.update(1, counts([["10.0.0.1", 9, 9]]));
    assert.ok(Math.abs(b[0].score - (0.27 + 0.27 * 0.7)) < 1e-12);
  });

  test("red after 3 windows in a row at >= 0.85 or >= 0.60 and rising; then yellow; then clear", () => {
    const s = new HostScorer({ prior: 0 });
    const statuses: string[] = [];
    const scores: number[] = [];
    // r = 1 for 8 windows, then nothing
    for (let w = 0; w < 40; w++) {
      const out = s.update(w, w < 8 ? counts([["h", 10, 10]]) : counts([["other", 5, 0]]));
      const h = out.find((x) => x.host === "h");
      statuses.push(h?.status ?? "gone");
      scores.push(h?.score ?? 0);
    }
    // scores: .3 .51 .657 .760 .832 .882 .918 .942 | decay .660 .462 ...
    assert.ok(Math.abs(scores[2] - 0.657) < 1e-9);
    // window 2 is the first >= 0.6 rising; windows 2, 3, 4 make three in a row -> red at window 4
    assert.deepEqual(statuses.slice(0, 8), ["clear", "clear", "clear", "clear", "red", "red", "red", "red"]);
    // no more suspicious flows: the score decays (botd's scores never did), red -> yellow -> clear
    assert.equal(statuses[8], "yellow");
    assert.ok(scores[8] < scores[7]);
    const firstClear = statuses.indexOf("clear", 8);
    assert.ok(scores[firstClear] < 0.1 && scores[firstClear - 1] >= 0.1);
    assert.equal(statuses.at(-1), "gone", "hosts whose score faded away are forgotten");
  });

  test("windows without any flow still decay the score", () => {
    const s = new HostScorer({ prior: 0 });
    for (let w = 0; w < 6; w++) s.update(w, counts([["h", 4, 4]]));
    const before = s.update(6, counts([["h", 4, 4]]))[0];
    assert.equal(before.status, "red");
    // windows 7..9 have no flows at all (no update call); window 10 sees only another host
    const after = s.update(10, counts([["x", 1, 0]])).find((h) => h.host === "h");
    assert.ok(after);
    assert.ok(Math.abs(after.score - before.score * 0.7 ** 4) < 1e-12);
    assert.equal(after.status, "yellow");
    assert.match(after.reason, /was yellow/);
  });

  test("a host with few, mostly benign flows stays clear; reasons are given", () => {
    const s = new HostScorer();
    let last = s.update(0, counts([["h", 50, 1]]));
    for (let w = 1; w < 10; w++) last = s.update(w, counts([["h", 50, 1]]));
    assert.equal(last[0].status, "clear");
    assert.equal(last[0].reason, "");
    const t = new HostScorer();
    let r = t.update(0, counts([["h", 100, 100]]));
    for (let w = 1; w < 5; w++) r = t.update(w, counts([["h", 100, 100]]));
    assert.match(r[0].reason, /windows in a row/);
  });

  test("windows must increase", () => {
    const s = new HostScorer();
    s.update(3, counts([]));
    assert.throws(() => s.update(3, counts([])), /must increase/);
  });
});

describe("Garcia et al. 2014 metrics", () => {
  test("a hand-computed example", () => {
    const b = (detected: boolean): IpDecision => ({ truth: "botnet", detected });
    const n = (detected: boolean): IpDecision => ({ truth: "normal", detected });
    const bg = (detected: boolean): IpDecision => ({ truth: "background", detected });
    const windows: IpDecision[][] = [
      // n = 0: 2 botnet IPs (1 detected), 2 normal (1 detected), background never counts
      [b(true), b(false), n(true), n(false), bg(true)],
      // n = 1: 1 botnet (detected), 4 normal (none detected)
      [b(true), n(false), n(false), n(false), n(false), bg(false)],
      // n = 2: only background
      [bg(true)],
    ];
    const m = garciaMetrics(windows);
    const w0 = Math.exp(0) + 1; // 2
    const w1 = Math.exp(-0.01) + 1;
    const tTP = (1 * w0) / 2 + (1 * w1) / 1;
    const tFN = (1 * w0) / 2;
    const tFP = 1 / 2;
    const tTN = 1 / 2 + 4 / 4;
    assert.ok(Math.abs(m.tTP - tTP) < 1e-12);
    assert.ok(Math.abs(m.tFN - tFN) < 1e-12);
    assert.ok(Math.abs(m.tFP - tFP) < 1e-12);
    assert.ok(Math.abs(m.tTN - tTN) < 1e-12);
    // tTP = 1 + 1.99005 = 2.99005, tFN = 1, tFP = 0.5, tTN = 1.5
    assert.ok(Math.abs(m.tpr - 2.990049833749168 / 3.990049833749168) < 1e-12);
    assert.ok(Math.abs(m.fpr - 0.25) < 1e-12);
    assert.ok(Math.abs(m.precision - 2.990049833749168 / 3.490049833749168) < 1e-12);
    const f1 = (2 * m.precision * m.tpr) / (m.precision + m.tpr);
    assert.ok(Math.abs(m.f1 - f1) < 1e-12);
    assert.deepEqual(m.counts, { tp: 2, fn: 1, fp: 1, tn: 5 });
    assert.equal(m.windows, 3);
  });

  test("no botnet and no normal addresses: zeros, not NaN", () => {
    const m = garciaMetrics([[{ truth: "background", detected: true }]]);
    assert.deepEqual([m.tpr, m.fpr, m.precision, m.f1], [0, 0, 0, 0]);
  });
});

describe("labels", () => {
  const f = (src: string, start: number, label: string | null = null): Flow => ({
    ...emptyFlow(),
    srcAddr: src,
    dstAddr: "1.1.1.1",
    start,
    label,
  });

  test("CTU-13 labels: botnet 1, normal 0, background and none -1", () => {
    assert.equal(ctu13Label(f("a", 0, "From-Botnet-V47-TCP-Attempt-SPAM")), 1);
    assert.equal(ctu13Label(f("a", 0, "From-Normal-V47-Grill")), 0);
    assert.equal(ctu13Label(f("a", 0, "Background-UDP-Established")), -1);
    assert.equal(ctu13Label(f("a", 0)), -1);
  });

  test("a labels file of host time ranges", () => {
    const ranges = parseLabelRanges(
      [
        "# infected hosts",
        "host,from,to,class",
        "10.0.0.5,2026-03-02T08:00:00Z,2026-03-02T09:00:00Z",
        "10.0.0.0/24,,,normal",
        "10.0.0.9,1000,2000,background",
      ].join("\n"),
      "labels.csv",
    );
    const t0 = Date.parse("2026-03-02T08:30:00Z") / 1000;
    const of = rangeLabels(ranges);
    assert.equal(of(f("10.0.0.5", t0)), 1);
    assert.equal(of(f("10.0.0.5", t0 + 3600)), 0, "after its range the host is normal (its /24 is)");
    assert.equal(of(f("10.0.0.9", 1500)), 0, "normal wins over background");
    assert.equal(of(f("192.0.2.1", t0)), 0, "unlisted: normal by default");
    assert.equal(rangeLabels(ranges, -1)(f("192.0.2.1", t0)), -1);
  });

  test("bad label lines name the file and line", () => {
    assert.throws(() => parseLabelRanges("10.0.0.1,x,y", "l.csv"), /l.csv:1: "x" is not an ISO-8601 time/);
    assert.throws(() => parseLabelRanges("\n10.0.0.1,,,evil", "l.csv"), /l.csv:2: class "evil"/);
    assert.throws(() => parseLabelRanges("nohost,,", "l.csv"), /not an address/);
    assert.throws(() => parseLabelRanges("10.0.0.1,2000,1000", "l.csv"), /from must be before to/);
    assert.throws(() => parseLabelRanges("# nothing", "l.csv"), /no label ranges/);
  });
});
