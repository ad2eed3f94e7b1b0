/**
 * Garbage never crashes the decoder: random datagrams, every truncated prefix of valid ones, bit flips,
 * huge length fields, zero-length sets, templates without fields or with 65535-byte fields. Every
 * datagram is counted, and valid datagrams after the garbage still decode to the same flows.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../../src/core/random.ts";
import type { Flow } from "../../src/ingest/flows/record.ts";
import { MAX_STREAMS, NetflowDecoder } from "../../src/ingest/netflow/decoder.ts";
import {
  flowRecord,
  flowTemplate,
  ipfixMessage,
  type TemplateSpec,
  v5Datagram,
  v9Datagram,
} from "../../src/ingest/netflow/encode.ts";
import { VARIABLE } from "../../src/ingest/netflow/fields.ts";
import { MALFORMED_REASONS } from "../../src/ingest/netflow/stats.ts";

const F: Flow = {
  start: 1700000000.5,
  duration: 2,
  proto: "tcp",
  srcAddr: "2001:db8::1",
  srcPort: 1234,
  dir: "->",
  dstAddr: "2001:db8::9",
  dstPort: 80,
  state: "...A..S.",
  sTos: 0,
  dTos: 0,
  totPkts: 3,
  totBytes: 180,
  srcBytes: 180,
  srcPkts: 3,
  dstPkts: 0,
  label: null,
  extra: null,
};
const F4 = { ...F, srcAddr: "10.1.2.3", dstAddr: "192.0.2.80" };
const BOOT = 1700000100_000 - 900_000;
const VAR: TemplateSpec = {
  id: 300,
  fields: [...flowTemplate(0, false, true).fields, { ie: 82, length: VARIABLE }],
};

/** One valid datagram of each kind (templates included), and the flows each holds. */
function valid(): { bytes: Uint8Array; flows: Flow[] }[] {
  const t9 = flowTemplate(256, false, false);
  const t6 = flowTemplate(257, true, true);
  return [
    {
      bytes: v5Datagram([F4, F4], { sysUptime: 900_000, exportMs: 1700000100_000, sequence: 0 }),
      flows: [F4, F4],
    },
    {
      bytes: v9Datagram({ sysUptime: 900_000, unixSecs: 1700000100, sequence: 0, sourceId: 1 }, [
        { templates: [t9] },
        { dataId: 256, template: t9, records: [flowRecord(F4, false, BOOT)] },
      ]),
      flows: [F4],
    },
    {
      bytes: ipfixMessage({ exportSecs: 1700000100, sequence: 0, domain: 3 }, [
        { templates: [t6, VAR] },
        { dataId: 257, template: t6, records: [flowRecord(F, true)] },
        { dataId: 300, template: VAR, records: [[...flowRecord(F4, true), new Uint8Array(3)]] },
      ]),
      flows: [F, F4],
    },
  ];
}

function decoder(): { d: NetflowDecoder; flows: Flow[] } {
  const flows: Flow[] = [];
  return { d: new NetflowDecoder((f) => flows.push(f)), flows };
}

/** The counters add up: every malformed datagram has one reason; versions sum to at most all. */
function consistent(d: NetflowDecoder): void {
  const s = d.stats;
  const reasons = Object.values(s.malformedByReason).reduce((a, b) => a + (b ?? 0), 0);
  assert.equal(reasons, s.malformed);
  for (const r of Object.keys(s.malformedByReason)) assert.ok(MALFORMED_REASONS.includes(r as never), r);
  assert.ok(s.v5.datagrams + s.v9.datagrams + s.ipfix.datagrams <= s.datagrams);
  assert.equal(s.records, s.v5.records + s.v9.records + s.ipfix.records);
  for (const v of [s.records, s.lostRecords, s.lostDatagrams, s.templates])
    assert.ok(Number.isFinite(v) && v >= 0);
}

/** The valid datagrams, decoded by a decoder that saw garbage first, give their flows. */
function stillDecodes(d: NetflowDecoder, flows: Flow[], exporter: string): void {
  const before = flows.length;
  for (const v of valid()) d.decode(v.bytes, exporter);
  assert.deepEqual(
    flows.slice(before),
    valid().flatMap((v) => v.flows),
  );
}

describe("NetFlow decoder on garbage", () => {
  it("random datagrams (with NetFlow versions at the start)", () => {
    const r = new Rng(42);
    const rng = () => r.next();
    const { d, flows } = decoder();
    for (let i = 0; i < 5000; i++) {
      const b = new Uint8Array(Math.floor(rng() * 1500));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rng() * 256);
      if (b.length >= 2 && i % 4 !== 0) {
        b[0] = 0;
        b[1] = [5, 9, 10][i % 3];
      }
      d.decode(b, `10.0.0.${i % 7}`);
    }
    assert.equal(d.stats.datagrams, 5000);
    consistent(d);
    stillDecodes(d, flows, "192.0.2.200");
  });

  it("every truncated prefix of valid datagrams", () => {
    const { d, flows } = decoder();
    let n = 0;
    for (const v of valid())
      for (let len = 0; len < v.bytes.length; len++) {
        d.decode(v.bytes.subarray(0, len), "192.0.2.1");
        n++;
      }
    assert.equal(d.stats.datagrams, n);
    consistent(d);
    // a prefix never yields a flow that is not in the datagram
    const all = valid().flatMap((v) => v.flows);
    for (const f of flows) assert.ok(all.some((g) => JSON.stringify(g) === JSON.stringify(f)));
    stillDecodes(d, flows, "192.0.2.2");
  });

  it("bit flips in valid datagrams", () => {
    const r = new Rng(7);
    const rng = () => r.next();
    const { d, flows } = decoder();
    for (let i = 0; i < 3000; i++) {
      for (const v of valid()) {
        const b = v.bytes.slice();
        const flips = 1 + Math.floor(rng() * 4);
        for (let k = 0; k < flips; k++) b[Math.floor(rng() * b.length)] ^= 1 << Math.floor(rng() * 8);
        d.decode(b, `198.51.100.${i % 5}`);
      }
    }
    consistent(d);
    stillDecodes(d, flows, "192.0.2.3");
  });

  it("huge lengths, zero-length sets, empty templates, 65535-byte fields", () => {
    const { d, flows } = decoder();
    const h9 = { sysUptime: 1, unixSecs: 1700000000, sequence: 0, sourceId: 0 };
    const hx = { exportSecs: 1700000000, sequence: 0, domain: 0 };
    const cases: Uint8Array[] = [];
    // v5 claiming 65535 records
    const v5 = valid()[0].bytes.slice();
    v5[2] = 0xff;
    v5[3] = 0xff;
    cases.push(v5);
    // IPFIX message length beyond the datagram, and below the header
    const big = valid()[2].bytes.slice();
    big[2] = 0xff;
    big[3] = 0xff;
    cases.push(big);
    const small = valid()[2].bytes.slice();
    small[2] = 0;
    small[3] = 4;
    cases.push(small);
    // a set of length 0 and one of length 65535
    cases.push(v9Datagram(h9, [{ rawId: 256, body: new Uint8Array(0) }]));
    const zero = v9Datagram(h9, [{ rawId: 256, body: new Uint8Array(4) }]);
    zero[22] = 0;
    zero[23] = 0;
    cases.push(zero);
    const setHuge = ipfixMessage(hx, [{ rawId: 2, body: new Uint8Array(8) }]);
    setHuge[18] = 0xff;
    setHuge[19] = 0xff;
    cases.push(setHuge);
    // templates with no fields (v9: invalid; IPFIX: a withdrawal of an unknown template)
    cases.push(v9Datagram(h9, [{ templates: [{ id: 256, fields: [] }] }]));
    cases.push(ipfixMessage(hx, [{ templates: [{ id: 256, fields: [] }] }]));
    // a template whose every field is 0 bytes long: no record could carry a byte
    cases.push(ipfixMessage(hx, [{ templates: [{ id: 260, fields: [{ ie: 8, length: 0 }] }] }]));
    // 65535-byte fields: never fit a datagram, in v9 (fixed) and IPFIX (variable, with a lying length)
    const t65: TemplateSpec = {
      id: 261,
      fields: [
        { ie: 8, length: 65535 },
        { ie: 12, length: 4 },
      ],
    };
    cases.push(
      v9Datagram(h9, [{ templates: [t65] }, { rawId: 261, body: new Uint8Array(64).fill(1) }]),
      ipfixMessage(hx, [
        { templates: [t65] },
        { rawId: 261, body: Uint8Array.from([255, 255, 255, 1, 2, 3, 4, 5]) },
      ]),
    );
    // options template with more scope fields than fields
    const badScope = ipfixMessage(hx, [
      { templates: [{ id: 262, scopeCount: 1, fields: [{ ie: 149, length: 4 }] }], options: true },
    ]);
    badScope[24] = 0;
    badScope[25] = 9;
    cases.push(badScope);
    // a template with a field list running past its set
    const cut = ipfixMessage(hx, [{ templates: [flowTemplate(263, false, true)] }]);
    cut[22] = 0;
    cut[23] = 200;
    cases.push(cut);
    // unknown version, one byte, nothing
    cases.push(Uint8Array.from([0, 7, 1, 2, 3]), Uint8Array.from([0]), new Uint8Array(0));
    for (const c of cases) d.decode(c, "203.0.113.1");
    assert.equal(d.stats.datagrams, cases.length);
    consistent(d);
    assert.equal(flows.length, 0);
    assert.ok(d.stats.malformed >= cases.length - 3, JSON.stringify(d.stats.malformedByReason));
    for (const r of ["truncated", "bad-length", "bad-set", "bad-template", "unknown-version"] as const)
      assert.ok((d.stats.malformedByReason[r] ?? 0) > 0, r);
    stillDecodes(d, flows, "203.0.113.1");
  });

  it("the state kept per exporter is bounded", () => {
    const { d, flows } = decoder();
    const t = flowTemplate(256, false, true);
    for (let i = 0; i < MAX_STREAMS + 100; i++)
      d.decode(ipfixMessage({ exportSecs: 1, sequence: 0, domain: i }, [{ templates: [t] }]), "x");
    assert.equal(d.stats.exporters, MAX_STREAMS + 100);
    // the oldest streams were forgotten with their templates; the newest still decode
    d.decode(
      ipfixMessage({ exportSecs: 1, sequence: 0, domain: 0 }, [
        { dataId: 256, template: t, records: [flowRecord(F4, true)] },
      ]),
      "x",
    );
    d.decode(
      ipfixMessage({ exportSecs: 1, sequence: 0, domain: MAX_STREAMS + 99 }, [
        { dataId: 256, template: t, records: [flowRecord(F4, true)] },
      ]),
      "x",
    );
    assert.equal(flows.length, 1);
    assert.equal(d.stats.unknownTemplate.sets, 1);
  });

  it("the buffer of data sets waiting for a template is bounded", () => {
    const { d } = decoder();
    const t = flowTemplate(256, false, true);
    for (let i = 0; i < 1000; i++)
      d.decode(
        ipfixMessage({ exportSecs: 1, sequence: i, domain: 0 }, [
          { dataId: 256 + (i % 3000), template: t, records: [flowRecord(F4, true)] },
        ]),
        "x",
      );
    assert.equal(d.stats.unknownTemplate.sets, 1000);
    assert.ok(d.stats.unknownTemplate.dropped >= 1000 - 64);
    d.finish();
    assert.equal(d.stats.unknownTemplate.dropped, 1000);
  });
});
