/**
 * NetFlow v5, v9 and IPFIX datagrams built here with known values: every Flow field, uptime-relative
 * and absolute times, templates after their data, a template refreshed with another layout, two
 * exporters with the same source id, sampling from options records, IPv6, enterprise and
 * variable-length fields, sequence gaps.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Flow } from "../../src/ingest/flows/record.ts";
import { NetflowDecoder } from "../../src/ingest/netflow/decoder.ts";
import {
  addressBytes,
  flowRecord,
  flowTemplate,
  ipfixMessage,
  type TemplateSpec,
  v5Datagram,
  v9Datagram,
} from "../../src/ingest/netflow/encode.ts";
import { VARIABLE } from "../../src/ingest/netflow/fields.ts";

function flow(o: Partial<Flow>): Flow {
  return {
    start: 1700000000.25,
    duration: 1.5,
    proto: "tcp",
    srcAddr: "10.0.0.1",
    srcPort: 40000,
    dir: "->",
    dstAddr: "192.0.2.7",
    dstPort: 443,
    state: "...AP.S.",
    sTos: 0,
    dTos: 0,
    totPkts: 10,
    totBytes: 5000,
    srcBytes: 5000,
    srcPkts: 10,
    dstPkts: 0,
    label: null,
    extra: null,
    ...o,
  };
}

function collect(): { flows: Flow[]; versions: number[]; d: NetflowDecoder } {
  const flows: Flow[] = [];
  const versions: number[] = [];
  const d = new NetflowDecoder((f, v) => {
    flows.push(f);
    versions.push(v);
  });
  return { flows, versions, d };
}

const F1 = flow({});
const F2 = flow({
  start: 1700000003.5,
  duration: 0,
  proto: "udp",
  srcAddr: "10.0.0.2",
  srcPort: 5353,
  dstAddr: "8.8.8.8",
  dstPort: 53,
  state: "........",
  sTos: 16,
  totPkts: 1,
  totBytes: 72,
  srcBytes: 72,
  srcPkts: 1,
});
const F6 = flow({ srcAddr: "2001:db8::1", dstAddr: "2001:db8:0:1::53", proto: "udp", state: "........" });

describe("NetFlow v5", () => {
  it("decodes every field, with uptime-relative times made absolute", () => {
    const { flows, versions, d } = collect();
    d.decode(
      v5Datagram([F1, F2], { sysUptime: 3_600_000, exportMs: 1700000100_123, sequence: 0 }),
      "192.0.2.1",
    );
    assert.deepEqual(flows, [F1, F2]);
    assert.deepEqual(versions, [5, 5]);
    assert.equal(d.stats.v5.records, 2);
    assert.equal(d.stats.malformed, 0);
  });

  it("scales counts by the header's sampling interval (mode bits ignored)", () => {
    const { flows, d } = collect();
    d.decode(
      v5Datagram([F2], {
        sysUptime: 10_000,
        exportMs: 1700000010_000,
        sequence: 0,
        samplingInterval: 0x4000 | 100,
      }),
    );
    assert.equal(flows[0].totPkts, 100);
    assert.equal(flows[0].totBytes, 7200);
  });

  it("counts lost records from sequence gaps per engine", () => {
    const { d } = collect();
    const dg = (seq: number, engine: number) =>
      v5Datagram([F1, F2], { sysUptime: 10_000, exportMs: 1700000010_000, sequence: seq, engine });
    d.decode(dg(0, 1), "a");
    d.decode(dg(2, 1), "a");
    d.decode(dg(0, 2), "a"); // another engine: its own stream
    d.decode(dg(9, 1), "a"); // 5 records lost
    d.decode(dg(3, 1), "a"); // backwards: a restart
    assert.equal(d.stats.lostRecords, 5);
    assert.equal(d.stats.sequenceResets, 1);
    assert.equal(d.stats.exporters, 2);
  });
});

const H9 = { sysUptime: 5_000_000, unixSecs: 1700000200, sequence: 0, sourceId: 7 };
const BOOT9 = H9.unixSecs * 1000 - H9.sysUptime;
const T4 = flowTemplate(256, false, false);

describe("NetFlow v9", () => {
  it("decodes a template and its data in one datagram", () => {
    const { flows, d } = collect();
    d.decode(
      v9Datagram(H9, [
        { templates: [T4] },
        { dataId: 256, template: T4, records: [flowRecord(F1, false, BOOT9), flowRecord(F2, false, BOOT9)] },
      ]),
      "192.0.2.1",
    );
    assert.deepEqual(flows, [F1, F2]);
    assert.equal(d.stats.templates, 1);
    assert.equal(d.stats.v9.records, 2);
  });

  it("keeps data that comes before its template and decodes it when the template arrives", () => {
    const { flows, d } = collect();
    d.decode(v9Datagram(H9, [{ dataId: 256, template: T4, records: [flowRecord(F1, false, BOOT9)] }]), "x");
    assert.equal(flows.length, 0);
    assert.equal(d.stats.unknownTemplate.sets, 1);
    d.decode(v9Datagram({ ...H9, sequence: 1 }, [{ templates: [T4] }]), "x");
    assert.deepEqual(flows, [F1]);
    assert.equal(d.stats.unknownTemplate.decodedLater, 1);
    assert.equal(d.stats.malformed, 0);
  });

  it("replaces a template refreshed with another layout", () => {
    const { flows, d } = collect();
    d.decode(v9Datagram(H9, [{ templates: [T4] }]), "x");
    // same id, now without ToS and with 2-byte packet counts
    const t2: TemplateSpec = {
      id: 256,
      fields: T4.fields.filter((f) => f.ie !== 5).map((f) => (f.ie === 2 ? { ...f, length: 2 } : f)),
    };
    const rec = flowRecord(F2, false, BOOT9).filter((_, i) => T4.fields[i].ie !== 5);
    d.decode(
      v9Datagram({ ...H9, sequence: 1 }, [
        { templates: [t2] },
        { dataId: 256, template: t2, records: [rec] },
      ]),
      "x",
    );
    assert.deepEqual(flows, [{ ...F2, sTos: 0 }]);
    assert.equal(d.stats.templateChanges, 1);
    // the same template again is a refresh, not a change
    d.decode(v9Datagram({ ...H9, sequence: 2 }, [{ templates: [t2] }]), "x");
    assert.equal(d.stats.templateChanges, 1);
    assert.equal(d.stats.templates, 2);
  });

  it("keeps the templates of two exporters with the same source id apart", () => {
    const { flows, d } = collect();
    const other: TemplateSpec = { id: 256, fields: [...T4.fields].reverse() };
    d.decode(v9Datagram(H9, [{ templates: [T4] }]), "192.0.2.1");
    d.decode(v9Datagram(H9, [{ templates: [other] }]), "192.0.2.2");
    d.decode(
      v9Datagram({ ...H9, sequence: 1 }, [
        { dataId: 256, template: T4, records: [flowRecord(F1, false, BOOT9)] },
      ]),
      "192.0.2.1",
    );
    d.decode(
      v9Datagram({ ...H9, sequence: 1 }, [
        { dataId: 256, template: other, records: [flowRecord(F2, false, BOOT9).reverse()] },
      ]),
      "192.0.2.2",
    );
    assert.deepEqual(flows, [F1, F2]);
    assert.equal(d.stats.exporters, 2);
    assert.equal(d.stats.lostDatagrams, 0);
  });

  it("applies the sampling interval of an options record, per sampler id", () => {
    const { flows, d } = collect();
    const opts: TemplateSpec = {
      id: 300,
      scopeCount: 1,
      fields: [
        { ie: 1, length: 4 }, // scope: system
        { ie: 48, length: 1 }, // sampler id
        { ie: 49, length: 1 }, // sampler mode
        { ie: 50, length: 4 }, // sampler random interval
      ],
    };
    const withSampler: TemplateSpec = { id: 257, fields: [...T4.fields, { ie: 48, length: 1 }] };
    d.decode(
      v9Datagram(H9, [
        { templates: [opts], options: true },
        { templates: [T4, withSampler] },
        { dataId: 300, template: opts, records: [[0, 3, 2, 10]] },
        { dataId: 257, template: withSampler, records: [[...flowRecord(F2, false, BOOT9), 3]] },
        { dataId: 257, template: withSampler, records: [[...flowRecord(F2, false, BOOT9), 4]] },
        { dataId: 256, template: T4, records: [flowRecord(F2, false, BOOT9)] },
      ]),
    );
    assert.equal(d.stats.optionsRecords, 1);
    assert.deepEqual(
      flows.map((f) => [f.totPkts, f.totBytes]),
      [
        [10, 720],
        [1, 72],
        [1, 72],
      ],
    );
    // an interval without a sampler id applies to every record without its own
    const optsAll: TemplateSpec = {
      id: 301,
      scopeCount: 1,
      fields: [
        { ie: 1, length: 4 },
        { ie: 34, length: 4 },
      ],
    };
    d.decode(
      v9Datagram({ ...H9, sequence: 1 }, [
        { templates: [optsAll], options: true },
        { dataId: 301, template: optsAll, records: [[0, 5]] },
        { dataId: 256, template: T4, records: [flowRecord(F2, false, BOOT9)] },
      ]),
    );
    assert.deepEqual([flows[3].totPkts, flows[3].totBytes], [5, 360]);
  });

  it("reads IPv6 records and ICMP type/code into the destination port", () => {
    const { flows, d } = collect();
    const t6 = flowTemplate(260, true, false);
    const ticmp: TemplateSpec = {
      id: 261,
      fields: [...T4.fields.filter((f) => f.ie !== 7 && f.ie !== 11), { ie: 32, length: 2 }],
    };
    const icmp = flow({ proto: "icmp", srcPort: 0, dstPort: 0x0800, state: "........" });
    const icmpRec = flowRecord(icmp, false, BOOT9).filter(
      (_, i) => T4.fields[i].ie !== 7 && T4.fields[i].ie !== 11,
    );
    d.decode(
      v9Datagram(H9, [
        { templates: [t6, ticmp] },
        { dataId: 260, template: t6, records: [flowRecord(F6, false, BOOT9)] },
        { dataId: 261, template: ticmp, records: [[...icmpRec, 0x0800]] },
      ]),
    );
    assert.deepEqual(flows, [F6, icmp]);
  });

  it("counts lost export packets from the v9 sequence", () => {
    const { d } = collect();
    for (const seq of [0, 1, 2, 5, 6])
      d.decode(v9Datagram({ ...H9, sequence: seq }, [{ templates: [T4] }]), "x");
    assert.equal(d.stats.lostDatagrams, 2);
  });
});

const HX = { exportSecs: 1700000300, sequence: 0, domain: 1 };
const TX = flowTemplate(256, false, true);

describe("IPFIX", () => {
  it("decodes absolute millisecond times, 8-byte counters and IPv6", () => {
    const { flows, versions, d } = collect();
    const t6 = flowTemplate(257, true, true);
    d.decode(
      ipfixMessage(HX, [
        { templates: [TX, t6] },
        { dataId: 256, template: TX, records: [flowRecord(F1, true), flowRecord(F2, true)] },
        { dataId: 257, template: t6, records: [flowRecord(F6, true)] },
      ]),
      "192.0.2.9",
    );
    assert.deepEqual(flows, [F1, F2, F6]);
    assert.deepEqual(versions, [10, 10, 10]);
    assert.equal(d.stats.ipfix.records, 3);
    assert.equal(d.stats.malformed, 0);
  });

  it("reads uptime-relative times against the announced systemInitTimeMilliseconds", () => {
    const { flows, d } = collect();
    const boot = 1699990000_000;
    const opts: TemplateSpec = {
      id: 400,
      scopeCount: 1,
      fields: [
        { ie: 149, length: 4 },
        { ie: 160, length: 8 },
      ],
    };
    const rel = flowTemplate(258, false, false); // 22/21 uptime fields
    d.decode(
      ipfixMessage(HX, [
        { templates: [opts], options: true },
        { templates: [rel] },
        { dataId: 400, template: opts, records: [[1, boot]] },
        { dataId: 258, template: rel, records: [flowRecord(F1, false, boot)] },
      ]),
    );
    assert.deepEqual(flows, [F1]);
  });

  it("skips enterprise fields, reads RFC 5103 reverse counters, and variable-length fields", () => {
    const { flows, d } = collect();
    const t: TemplateSpec = {
      id: 300,
      fields: [
        ...TX.fields,
        { ie: 1, length: 8, pen: 29305 }, // reverseOctetDeltaCount
        { ie: 2, length: 4, pen: 29305 }, // reversePacketDeltaCount
        { ie: 100, length: 4, pen: 9 }, // some vendor's field
        { ie: 82, length: VARIABLE }, // interfaceName
        { ie: 5, length: 1, pen: 12345 }, // a vendor field numbered like ToS: not ToS
      ],
    };
    const long = new Uint8Array(300).fill(0x41); // a 3-byte length prefix
    const bi = flow({ dstPkts: 4, totPkts: 14, totBytes: 5800 });
    d.decode(
      ipfixMessage(HX, [
        { templates: [t] },
        {
          dataId: 300,
          template: t,
          records: [
            [...flowRecord(F1, true), 800, 4, 0xdeadbeef, new TextEncoder().encode("eth0"), 99],
            [...flowRecord(F1, true), 800, 4, 1, long, 99],
          ],
        },
      ]),
    );
    assert.deepEqual(flows, [bi, bi]);
    assert.equal(d.stats.malformed, 0);
  });

  it("decodes data sets that came before their template, and honours template withdrawal", () => {
    const { flows, d } = collect();
    d.decode(ipfixMessage(HX, [{ dataId: 256, template: TX, records: [flowRecord(F1, true)] }]), "x");
    d.decode(ipfixMessage({ ...HX, sequence: 1 }, [{ templates: [TX] }]), "x");
    assert.deepEqual(flows, [F1]);
    // withdrawal: a template record with no fields
    d.decode(ipfixMessage({ ...HX, sequence: 1 }, [{ templates: [{ id: 256, fields: [] }] }]), "x");
    d.decode(
      ipfixMessage({ ...HX, sequence: 1 }, [{ dataId: 256, template: TX, records: [flowRecord(F2, true)] }]),
      "x",
    );
    assert.equal(flows.length, 1);
    assert.equal(d.stats.templateWithdrawals, 1);
    assert.equal(d.stats.unknownTemplate.sets, 2);
    d.finish();
    assert.equal(d.stats.unknownTemplate.dropped, 1);
  });

  it("keeps observation domains apart and counts lost records from the sequence", () => {
    const { flows, d } = collect();
    d.decode(
      ipfixMessage(HX, [{ templates: [TX] }, { dataId: 256, template: TX, records: [flowRecord(F1, true)] }]),
      "x",
    );
    d.decode(ipfixMessage({ ...HX, domain: 2 }, [{ templates: [flowTemplate(256, true, true)] }]), "x");
    d.decode(
      ipfixMessage({ ...HX, sequence: 4 }, [{ dataId: 256, template: TX, records: [flowRecord(F2, true)] }]),
      "x",
    );
    assert.deepEqual(flows, [F1, F2]);
    assert.equal(d.stats.lostRecords, 3);
    assert.equal(d.stats.exporters, 2);
  });

  it("applies IPFIX's samplingPacketInterval/Space (1 of every 1 + 99 packets)", () => {
    const { flows, d } = collect();
    const opts: TemplateSpec = {
      id: 401,
      scopeCount: 1,
      fields: [
        { ie: 149, length: 4 },
        { ie: 305, length: 4 },
        { ie: 306, length: 4 },
      ],
    };
    d.decode(
      ipfixMessage(HX, [
        { templates: [opts], options: true },
        { templates: [TX] },
        { dataId: 401, template: opts, records: [[1, 1, 99]] },
        { dataId: 256, template: TX, records: [flowRecord(F2, true)] },
      ]),
    );
    assert.deepEqual([flows[0].totPkts, flows[0].totBytes], [100, 7200]);
  });

  it("learns an exporter that numbers records after the message instead of before", () => {
    const { d } = collect();
    const msg = (seq: number, n: number) =>
      ipfixMessage({ ...HX, sequence: seq }, [
        { templates: [TX] },
        { dataId: 256, template: TX, records: Array(n).fill(flowRecord(F1, true)) },
      ]);
    for (const [seq, n] of [
      [3, 3],
      [5, 2],
      [9, 4],
      [16, 4], // 3 records lost
    ])
      d.decode(msg(seq, n), "x");
    assert.equal(d.stats.lostRecords, 3);
  });

  it("reads flowStart/EndSeconds, NTP microseconds and delta microseconds", () => {
    const { flows, d } = collect();
    const base = TX.fields.slice(0, 9);
    const secs: TemplateSpec = { id: 256, fields: [...base, { ie: 150, length: 4 }, { ie: 151, length: 4 }] };
    const ntp: TemplateSpec = { id: 257, fields: [...base, { ie: 154, length: 8 }, { ie: 155, length: 8 }] };
    const delta: TemplateSpec = {
      id: 258,
      fields: [...base, { ie: 158, length: 4 }, { ie: 159, length: 4 }],
    };
    const head = flowRecord(F1, true).slice(0, 9);
    const ntpTime = (s: number) => {
      const b = new Uint8Array(8);
      const whole = Math.floor(s) + 2208988800;
      const frac = Math.round((s - Math.floor(s)) * 4294967296);
      new DataView(b.buffer).setUint32(0, whole);
      new DataView(b.buffer).setUint32(4, frac);
      return b;
    };
    d.decode(
      ipfixMessage(HX, [
        { templates: [secs, ntp, delta] },
        { dataId: 256, template: secs, records: [[...head, 1700000000, 1700000002]] },
        { dataId: 257, template: ntp, records: [[...head, ntpTime(F1.start), ntpTime(F1.start + 1.5)]] },
        { dataId: 258, template: delta, records: [[...head, 2_000_000, 500_000]] },
      ]),
    );
    assert.deepEqual([flows[0].start, flows[0].duration], [1700000000, 2]);
    assert.ok(Math.abs(flows[1].start - F1.start) < 1e-6 && Math.abs(flows[1].duration - 1.5) < 1e-6);
    assert.deepEqual([flows[2].start, flows[2].duration], [HX.exportSecs - 2, 1.5]);
  });

  it("addresses only the first 16 bytes of an IPv6 field", () => {
    assert.deepEqual([...addressBytes("::1")], [...new Uint8Array(15), 1]);
    assert.deepEqual([...addressBytes("2001:db8::")].slice(0, 4), [0x20, 0x01, 0x0d, 0xb8]);
  });
});
