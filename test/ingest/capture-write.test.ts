import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  argusTime,
  BINETFLOW_HEADER,
  BinetflowEncoder,
  binetflowLine,
  durationText,
} from "../../src/ingest/capture/write.ts";
import { emptyFlow, type Flow } from "../../src/ingest/flows/record.ts";

/** The binetflow line stated plainly with strings (the oracle for the byte encoder). */
function plainLine(f: Flow): string {
  const port = (p: number | null) =>
    p === null ? "" : f.proto === "icmp" ? `0x${(p & 0xffff).toString(16).padStart(4, "0")}` : String(p);
  return [
    argusTime(f.start),
    f.duration.toFixed(6),
    f.proto,
    f.srcAddr,
    port(f.srcPort),
    f.dir.padStart(5, " "),
    f.dstAddr,
    port(f.dstPort),
    f.state,
    f.sTos ?? "",
    f.dTos ?? "",
    f.totPkts,
    f.totBytes,
    f.srcBytes,
    f.label === null ? "" : `flow=${f.label}`,
  ].join(",");
}

function flow(over: Partial<Flow>): Flow {
  return {
    ...emptyFlow(),
    start: 1.7e9 + 0.123456,
    duration: 1.5,
    proto: "tcp",
    srcAddr: "10.0.0.1",
    srcPort: 40000,
    dir: "->",
    dstAddr: "10.0.0.2",
    dstPort: 80,
    state: "FSPA_FSPA",
    sTos: 0,
    dTos: 0,
    totPkts: 10,
    totBytes: 5000,
    srcBytes: 1200,
    ...over,
  };
}

describe("binetflow text", () => {
  it("writes durations exactly as toFixed(6), for microsecond and nanosecond captures", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const values = [0, 1e-6, 5e-7, 1.5e-6, 2.5e-6, 0.9999995, 1, 59.999999, 3600, 86400.5, 1e7 + 0.25];
    for (let i = 0; i < 20000; i++) {
      // differences of timestamps as readers make them: seconds + usec / 1e6, or + nsec / 1e9
      const a = 1.7e9 + Math.floor(rand() * 1e6) + Math.floor(rand() * 1e6) / 1e6;
      const b = a + Math.floor(rand() * 100) + Math.floor(rand() * 1e6) / 1e6;
      values.push(b - a);
      const c = 1.7e9 + Math.floor(rand() * 1e9) / 1e9;
      values.push(c + Math.floor(rand() * 1e9) / 1e9 - c, (Math.floor(rand() * 2000) + 0.5) / 1e6);
    }
    for (const v of values) assert.equal(durationText(v), v.toFixed(6), String(v));
  });

  it("writes start times as Argus does, to the microsecond, across second and day boundaries", () => {
    const iso = (t: number) => {
      const us = Math.round(t * 1e6);
      const d = new Date(Math.floor(us / 1e6) * 1000).toISOString();
      return `${d.slice(0, 10).replaceAll("-", "/")} ${d.slice(11, 19)}.${String(us % 1e6).padStart(6, "0")}`;
    };
    const t0 = Date.UTC(2023, 11, 31, 23, 59, 59) / 1000;
    for (const t of [t0, t0 + 0.000001, t0 + 0.5, t0 + 0.9999994, t0 + 0.9999996, t0 + 1, t0 + 1.000123, 0]) {
      assert.equal(argusTime(t), iso(t), String(t));
    }
  });

  it("encodes lines as bytes exactly as the plain string form, odd fields included", () => {
    const flows: Flow[] = [
      flow({}),
      flow({
        proto: "icmp",
        srcPort: 0x0303,
        dstPort: 0x1234,
        dir: "<->",
        state: "URP",
        sTos: null,
        dTos: null,
      }),
      flow({ proto: "icmp", srcPort: 8, dstPort: 0xfffff, dir: "->" }),
      flow({ proto: "arp", srcPort: null, dstPort: null, dir: "who", state: "CON" }),
      flow({ proto: "ipv6-icmp", srcAddr: "fe80::1", dstAddr: "ff02::1:ff00:1", srcPort: 135, dstPort: 0 }),
      flow({ dir: "  <?>", label: "From-Botnet-V42-UDP-DNS" }),
      flow({ dir: "longer-than-five", label: "Botnet-ünïcode-標籤" }),
      flow({ srcAddr: "bücher.example", state: "ß".repeat(3000), label: "x".repeat(70000) }),
      flow({ totPkts: 2 ** 53 + 2, totBytes: 1e21, srcBytes: 0.5, sTos: -1, dTos: Number.NaN }),
      flow({ totPkts: 0, totBytes: -0, srcBytes: 9007199254740991 }),
      flow({ start: 0, duration: 0 }),
      flow({ start: Date.UTC(2023, 11, 31, 23, 59, 59) / 1000 + 0.9999996, duration: 86400.5 }),
      flow({ duration: 2.5e-6 }),
      flow({ duration: 1e-9 * 1234567891 }),
      flow({ duration: 1e16 }),
      flow({ duration: -1 }),
    ];
    // nanosecond-capture durations near half a microsecond go through toFixed's exact rounding
    let seed = 11;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const c = 1.7e9 + (seed % 1e6) / 1e9;
      flows.push(flow({ start: c, duration: c + ((seed >> 7) % 1e9) / 1e9 - c, totBytes: seed }));
    }
    const enc = new BinetflowEncoder(64);
    enc.header();
    for (const f of flows) {
      enc.line(f);
      assert.equal(binetflowLine(f), plainLine(f));
    }
    const want = `${[BINETFLOW_HEADER, ...flows.map(plainLine)].join("\n")}\n`;
    const first = enc.take();
    assert.equal(first.toString("utf8"), want);
    // the taken bytes stay as they were while the encoder goes on
    enc.line(flows[0]);
    assert.equal(enc.take().toString("utf8"), `${plainLine(flows[0])}\n`);
    assert.equal(first.toString("utf8"), want);
    assert.equal(enc.length, 0);
  });
});
