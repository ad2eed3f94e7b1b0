import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BASE_FEATURES,
  COL,
  encodeFlow,
  type FeatureSpec,
  featureNames,
  flowWidth,
  makeSpec,
} from "../../src/flows/features.ts";
import { type FlowWindow, FlowWindows, windowStart, windowsOf } from "../../src/flows/windows.ts";
import { emptyFlow, type Flow } from "../../src/ingest/flows/record.ts";

const O = { windowSeconds: 300, stepSeconds: 150 };

function flow(start: number, src: string, dst: string, more: Partial<Flow> = {}): Flow {
  return {
    ...emptyFlow(),
    start,
    proto: "tcp",
    srcAddr: src,
    dstAddr: dst,
    srcPort: 40000,
    dstPort: 80,
    dir: "->",
    state: "FSPA_FSPA",
    totPkts: 10,
    totBytes: 1000,
    srcBytes: 400,
    duration: 2,
    ...more,
  };
}

function collect(opts: ConstructorParameters<typeof FlowWindows>[0]): { w: FlowWindows; out: FlowWindow[] } {
  const out: FlowWindow[] = [];
  return { w: new FlowWindows(opts, (x) => out.push(x)), out };
}

function col(w: FlowWindow, name: string, row: number): number {
  const names = featureNames(spec(w));
  const j = names.indexOf(name);
  assert.ok(j >= 0, name);
  return w.x.data[row * w.x.cols + j];
}

let lastSpec: FeatureSpec | undefined;
function spec(_w: FlowWindow): FeatureSpec {
  return lastSpec as FeatureSpec;
}

describe("window arithmetic", () => {
  test("300 s every 150 s: a flow is in two windows", () => {
    assert.deepEqual(windowsOf(1000, O), { first: 5, last: 6 });
    assert.equal(windowStart(5, O), 750);
    assert.equal(windowStart(6, O), 900);
  });

  test("a flow exactly on a boundary belongs to the window starting there, not the one ending there", () => {
    // t = 900: window 6 starts at 900; window 4 (600..900) ends there; window 5 (750..1050) contains it
    assert.deepEqual(windowsOf(900, O), { first: 5, last: 6 });
    assert.deepEqual(windowsOf(899.999999, O), { first: 4, last: 5 });
    // non-overlapping windows
    assert.deepEqual(windowsOf(600, { windowSeconds: 300, stepSeconds: 300 }), { first: 2, last: 2 });
    // origin shifts every window
    assert.deepEqual(windowsOf(1000, { ...O, origin: 100 }), { first: 5, last: 6 });
    assert.deepEqual(windowsOf(1150, { ...O, origin: 100 }), { first: 6, last: 7 });
  });

  test("three windows per flow when the window is three steps long", () => {
    assert.deepEqual(windowsOf(1000, { windowSeconds: 300, stepSeconds: 100 }), { first: 8, last: 10 });
  });
});

describe("FlowWindows", () => {
  test("boundaries and overlaps: every flow lands in each window containing its start", () => {
    const { w, out } = collect({ ...O, aggregates: false });
    const times = [0, 149.9, 150, 299.999, 300, 450];
    for (const t of times) w.push(flow(t, "10.0.0.1", "1.1.1.1"), 0);
    w.flush();
    lastSpec = w.spec;
    const byWindow = Object.fromEntries(out.map((x) => [x.start, x.x.rows]));
    // window -150..150: 0, 149.9; 0..300: 0, 149.9, 150, 299.999; 150..450: 150, 299.999, 300;
    // 300..600: 300, 450; 450..750: 450
    assert.deepEqual(byWindow, { "-150": 2, 0: 4, 150: 3, 300: 2, 450: 1 });
    assert.deepEqual(
      out.map((x) => x.index),
      [-1, 0, 1, 2, 3],
    );
    assert.equal(w.stats.rows, 12);
    assert.equal(w.stats.kept, 6);
  });

  test("windows close as the input passes them; late flows are counted, not silently dropped", () => {
    const { w, out } = collect({ ...O, lateness: 0, aggregates: false });
    w.push(flow(100, "10.0.0.1", "1.1.1.1"), 0);
    w.push(flow(460, "10.0.0.1", "1.1.1.1"), 0);
    w.advance();
    // watermark 460: windows ending at or before 460 (-150..150, 0..300, 150..450) are closed;
    // 150..450 had no flow, so only two come out
    assert.deepEqual(
      out.map((x) => x.start),
      [-150, 0],
    );
    w.push(flow(200, "10.0.0.1", "1.1.1.1"), 0); // its windows 0..300 and 150..450 are closed
    assert.equal(w.stats.late, 1);
    w.push(flow(320, "10.0.0.1", "1.1.1.1"), 0); // 150..450 closed, 300..600 still open: kept there
    w.flush();
    assert.equal(w.stats.late, 1);
    assert.equal(out.find((x) => x.start === 300)?.x.rows, 2);
  });

  test("flows without packets or direction are dropped and counted, as botd does", () => {
    const { w, out } = collect({ ...O, aggregates: false });
    w.push(flow(10, "10.0.0.1", "1.1.1.1", { totPkts: 0 }), 0);
    w.push(flow(10, "10.0.0.1", "1.1.1.1", { dir: "" }), 0);
    w.push(flow(10, "10.0.0.1", "1.1.1.1"), 1);
    w.flush();
    assert.deepEqual([w.stats.noPackets, w.stats.noDirection, w.stats.kept], [1, 1, 1]);
    assert.ok(out.every((x) => x.x.rows === 1 && x.label[0] === 1));
  });

  test("the spec picks up optional fields and extra Argus columns seen before the first window closes", () => {
    const { w, out } = collect({ ...O, aggregates: false });
    w.push(flow(10, "10.0.0.1", "1.1.1.1", { srcPkts: 6, dstPkts: 4, extra: { sTtl: 64, Load: 2.5 } }), 0);
    w.push(flow(20, "10.0.0.1", "1.1.1.1", { extra: { sTtl: 128 } }), 0);
    w.flush();
    lastSpec = w.spec;
    assert.deepEqual(w.spec?.optional, ["src_pkts", "dst_pkts"]);
    assert.deepEqual(w.spec?.extras, ["Load", "sTtl"]);
    const x = out[0];
    assert.equal(col(x, "x_sTtl", 0), 64);
    assert.equal(col(x, "x_Load", 1), -1, "a missing extra reads -1");
    assert.equal(col(x, "src_pkts", 0), 6);
    assert.equal(col(x, "dst_pkts", 1), -1);
  });

  test("host aggregates of a window, checked by hand", () => {
    const { w, out } = collect({ windowSeconds: 300, stepSeconds: 300 });
    // host A: 3 flows to 2 peers on 2 ports, one failed (S_RA); host B: 1 flow to A
    w.push(flow(10, "10.0.0.1", "1.1.1.1", { dstPort: 25, bytes: 0 } as Partial<Flow>), 1);
    w.push(flow(20, "10.0.0.1", "1.1.1.2", { dstPort: 25, state: "S_RA", totBytes: 120, srcBytes: 60 }), 1);
    w.push(flow(30, "10.0.0.1", "1.1.1.1", { dstPort: 443, proto: "udp", state: "CON", totBytes: 200 }), 1);
    w.push(flow(40, "10.0.0.2", "10.0.0.1", { dstPort: 22 }), 0);
    w.flush();
    lastSpec = w.spec;
    assert.equal(out.length, 1);
    const x = out[0];
    assert.equal(col(x, "src_host_flows", 0), 3);
    assert.equal(col(x, "src_host_peers", 0), 2);
    assert.equal(col(x, "src_host_dports", 0), 2);
    assert.equal(col(x, "src_host_sports", 0), 1);
    assert.equal(col(x, "src_host_failed_share", 1), 1 / 3);
    assert.equal(col(x, "src_host_tcp_share", 2), 2 / 3);
    assert.equal(col(x, "src_host_udp_share", 2), 1 / 3);
    assert.equal(col(x, "src_host_bytes_mean", 0), (1000 + 120 + 200) / 3);
    assert.equal(col(x, "src_host_in_flows", 0), 1, "A receives one flow, from B");
    assert.equal(col(x, "src_host_in_peers", 0), 1);
    assert.equal(col(x, "dst_host_in_flows", 0), 2, "1.1.1.1 receives two of A's flows");
    assert.equal(col(x, "dst_host_in_peers", 1), 1);
    assert.equal(col(x, "dst_host_in_failed_share", 1), 1);
    assert.equal(col(x, "dst_host_flows", 3), 3, "B's flow goes to A, who started 3 flows");
    assert.equal(col(x, "src_host_flows", 3), 1);
    assert.deepEqual(Array.from(x.label), [1, 1, 1, 0]);
  });
});

describe("per-flow encoding", () => {
  const s = makeSpec(300, 150, new Set(), new Set(), false);
  const enc = (f: Partial<Flow>) => {
    const out = new Float64Array(flowWidth(s));
    const failed = encodeFlow(flow(0, "a", "b", f), s, out, 0);
    const named = Object.fromEntries(BASE_FEATURES.map((n, i) => [n, out[i]]));
    return { failed, named };
  };

  test("column positions the aggregates rely on", () => {
    assert.equal(BASE_FEATURES[COL.failed], "failed");
    assert.equal(BASE_FEATURES[COL.bytes], "tot_bytes");
    assert.equal(BASE_FEATURES[COL.tcp], "proto_tcp");
    assert.equal(BASE_FEATURES[COL.icmp], "proto_icmp");
  });

  test("numbers, protocol and direction", () => {
    const { named } = enc({ duration: 4, totPkts: 10, totBytes: 1000, srcBytes: 250, sTos: 0, dTos: null });
    assert.equal(named.dst_bytes, 750);
    assert.equal(named.bytes_per_pkt, 100);
    assert.equal(named.src_bytes_share, 0.25);
    assert.equal(named.pkts_per_s, 2.5);
    assert.equal(named.d_tos, -1);
    assert.equal(named.proto_tcp, 1);
    assert.equal(named.dir_out, 1);
    assert.equal(enc({ dir: "<?>" }).named.dir_unknown_both, 1);
    assert.equal(enc({ dir: "weird" }).named.dir_other, 1);
    assert.equal(enc({ proto: "ipv6-icmp" }).named.proto_icmp, 1);
    assert.equal(enc({ proto: "gre" }).named.proto_other, 1);
  });

  test("TCP flags per side and failed connections", () => {
    const rejected = enc({ state: "S_RA" });
    assert.equal(rejected.failed, true);
    assert.equal(rejected.named.src_flag_s, 1);
    assert.equal(rejected.named.dst_flag_r, 1);
    assert.equal(rejected.named.dst_flag_a, 1);
    assert.equal(rejected.named.dst_flag_s, 0);
    assert.equal(enc({ state: "S_" }).failed, true, "no answer");
    assert.equal(enc({ state: "FSPA_FSPA" }).failed, false);
    assert.equal(enc({ state: "SR_SA" }).failed, false, "accepted, then reset by the source");
    const udp = enc({ proto: "udp", state: "INT" });
    assert.equal(udp.failed, true);
    assert.equal(udp.named.state_int, 1);
    assert.equal(enc({ proto: "udp", state: "CON" }).failed, false);
    assert.equal(enc({ proto: "icmp", state: "URP" }).named.state_unreachable, 1);
    assert.equal(enc({ state: "S0" }).failed, true, "Zeek: no reply");
    assert.equal(enc({ state: "S0" }).named.state_other, 1);
  });
});
