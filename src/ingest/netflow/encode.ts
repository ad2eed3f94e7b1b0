/**
 * A small NetFlow v5 / v9 / IPFIX encoder: datagrams with known contents for the decoder's tests and
 * benchmark (templates, options templates, data sets with fixed, variable-length and enterprise
 * fields), and flows written with the usual IPv4/IPv6 templates. Not an exporter: no flow cache.
 */
import type { Flow } from "../flows/record.ts";
import { VARIABLE } from "./fields.ts";

export interface FieldSpec {
  ie: number;
  length: number;
  /** IPFIX private enterprise number (0 or absent: IANA). */
  pen?: number;
}

export interface TemplateSpec {
  id: number;
  fields: FieldSpec[];
  /** Options templates: how many leading fields are scope fields. */
  scopeCount?: number;
}

/** A field value: a number (big-endian in the field's length) or the bytes themselves. */
export type FieldValue = number | Uint8Array;

export type SetSpec =
  | { templates: TemplateSpec[]; options?: boolean }
  | { dataId: number; template: TemplateSpec; records: FieldValue[][] }
  /** Raw bytes as a set body with the given id (damage, unknown sets). */
  | { rawId: number; body: Uint8Array };

class Bytes {
  private buf = new Uint8Array(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  uint(v: number, n: number): void {
    this.room(n);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.length + i] = v % 256;
      v = Math.floor(v / 256);
    }
    this.length += n;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  set16(at: number, v: number): void {
    this.buf[at] = (v >> 8) & 255;
    this.buf[at + 1] = v & 255;
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** The bytes of an IPv4 ("10.0.0.1") or IPv6 ("2001:db8::1") address. */
export function addressBytes(a: string): Uint8Array {
  if (!a.includes(":")) return Uint8Array.from(a.split(".").map(Number));
  const [head, tail] = a.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 255;
  });
  return out;
}

function field(w: Bytes, f: FieldSpec, v: FieldValue, ipfix: boolean): void {
  if (f.length === VARIABLE && ipfix) {
    const b = typeof v === "number" ? new Uint8Array(0) : v;
    if (b.length < 255) w.uint(b.length, 1);
    else {
      w.uint(255, 1);
      w.uint(b.length, 2);
    }
    w.bytes(b);
  } else if (typeof v === "number") w.uint(v, f.length);
  else {
    const b = new Uint8Array(f.length);
    b.set(v.subarray(0, f.length));
    w.bytes(b);
  }
}

function sets(w: Bytes, list: SetSpec[], ipfix: boolean): number {
  let records = 0;
  for (const s of list) {
    const at = w.length;
    if ("rawId" in s) {
      w.uint(s.rawId, 2);
      w.uint(4 + s.body.length, 2);
      w.bytes(s.body);
      continue;
    }
    if ("templates" in s) {
      w.uint(ipfix ? (s.options ? 3 : 2) : s.options ? 1 : 0, 2);
      w.uint(0, 2);
      for (const t of s.templates) {
        w.uint(t.id, 2);
        const scope = t.scopeCount ?? 0;
        if (!ipfix && s.options) {
          w.uint(scope * 4, 2);
          w.uint((t.fields.length - scope) * 4, 2);
        } else {
          w.uint(t.fields.length, 2);
          if (s.options) w.uint(scope, 2);
        }
        for (const f of t.fields) {
          const pen = f.pen ?? 0;
          w.uint(pen && ipfix ? f.ie | 0x8000 : f.ie, 2);
          w.uint(f.length, 2);
          if (pen && ipfix) w.uint(pen, 4);
        }
      }
    } else {
      w.uint(s.dataId, 2);
      w.uint(0, 2);
      for (const r of s.records) {
        for (let i = 0; i < s.template.fields.length; i++) field(w, s.template.fields[i], r[i] ?? 0, ipfix);
        records++;
      }
    }
    // pad to 4 bytes, as exporters do
    while ((w.length - at) % 4 !== 0) w.uint(0, 1);
    w.set16(at + 2, w.length - at);
  }
  return records;
}

export interface V9Header {
  sysUptime: number;
  unixSecs: number;
  sequence: number;
  sourceId: number;
}

export function v9Datagram(h: V9Header, list: SetSpec[]): Uint8Array {
  const w = new Bytes();
  w.uint(9, 2);
  w.uint(0, 2);
  w.uint(h.sysUptime, 4);
  w.uint(h.unixSecs, 4);
  w.uint(h.sequence, 4);
  w.uint(h.sourceId, 4);
  const body = new Bytes();
  const n = sets(body, list, false);
  w.bytes(body.done());
  const out = w.done();
  out[2] = (n >> 8) & 255;
  out[3] = n & 255;
  return out;
}

export interface IpfixHeader {
  exportSecs: number;
  sequence: number;
  domain: number;
}

export function ipfixMessage(h: IpfixHeader, list: SetSpec[]): Uint8Array {
  const w = new Bytes();
  w.uint(10, 2);
  w.uint(0, 2);
  w.uint(h.exportSecs, 4);
  w.uint(h.sequence, 4);
  w.uint(h.domain, 4);
  sets(w, list, true);
  const out = w.done();
  out[2] = (out.length >> 8) & 255;
  out[3] = out.length & 255;
  return out;
}

export interface V5Options {
  sysUptime: number;
  /** Export time, Unix ms. */
  exportMs: number;
  sequence: number;
  engine?: number;
  samplingInterval?: number;
}

/** A v5 datagram of up to 30 IPv4 flows; flow times become uptime offsets. */
export function v5Datagram(flows: Flow[], o: V5Options): Uint8Array {
  const w = new Bytes();
  const secs = Math.floor(o.exportMs / 1000);
  const boot = o.exportMs - o.sysUptime;
  w.uint(5, 2);
  w.uint(flows.length, 2);
  w.uint(o.sysUptime, 4);
  w.uint(secs, 4);
  w.uint((o.exportMs - secs * 1000) * 1e6, 4);
  w.uint(o.sequence, 4);
  w.uint(o.engine ?? 0, 2);
  w.uint(o.samplingInterval ?? 0, 2);
  for (const f of flows) {
    const first = Math.round(f.start * 1000 - boot);
    w.bytes(addressBytes(f.srcAddr));
    w.bytes(addressBytes(f.dstAddr));
    w.uint(0, 4 + 2 + 2);
    w.uint(f.srcPkts ?? f.totPkts, 4);
    w.uint(f.srcBytes, 4);
    w.uint(first >>> 0, 4);
    w.uint((first + Math.round(f.duration * 1000)) >>> 0, 4);
    w.uint(f.srcPort ?? 0, 2);
    w.uint(f.dstPort ?? 0, 2);
    w.uint(0, 1);
    w.uint(flagsByte(f.state), 1);
    w.uint(PROTO_NUMBERS[f.proto] ?? 0, 1);
    w.uint(f.sTos ?? 0, 1);
    w.uint(0, 8);
  }
  return w.done();
}

export const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, "ipv6-icmp": 58, gre: 47 };

/** The flags byte of nfdump's letters ("...AP.S.") or of Argus-style letters ("SA"). */
export function flagsByte(state: string): number {
  let b = 0;
  for (const c of state) {
    const i = "FSRPAUEC".indexOf(c);
    if (i >= 0) b |= 1 << i;
  }
  return b;
}

/** The usual flow template: addresses (4 or 16 bytes), ports, protocol, flags, ToS, counts, times. */
export function flowTemplate(id: number, v6: boolean, ipfix: boolean): TemplateSpec {
  const a = v6 ? 16 : 4;
  return {
    id,
    fields: [
      { ie: v6 ? 27 : 8, length: a },
      { ie: v6 ? 28 : 12, length: a },
      { ie: 7, length: 2 },
      { ie: 11, length: 2 },
      { ie: 4, length: 1 },
      { ie: 6, length: 1 },
      { ie: 5, length: 1 },
      { ie: 2, length: 4 },
      { ie: 1, length: ipfix ? 8 : 4 },
      // v9: uptime-relative first/last switched; IPFIX: absolute milliseconds
      { ie: ipfix ? 152 : 22, length: ipfix ? 8 : 4 },
      { ie: ipfix ? 153 : 21, length: ipfix ? 8 : 4 },
    ],
  };
}

/** The record of a flow in flowTemplate's layout (v9 times relative to `bootMs`). */
export function flowRecord(f: Flow, ipfix: boolean, bootMs = 0): FieldValue[] {
  const startMs = Math.round(f.start * 1000);
  const endMs = startMs + Math.round(f.duration * 1000);
  return [
    addressBytes(f.srcAddr),
    addressBytes(f.dstAddr),
    f.srcPort ?? 0,
    f.dstPort ?? 0,
    PROTO_NUMBERS[f.proto] ?? 0,
    flagsByte(f.state),
    f.sTos ?? 0,
    f.srcPkts ?? f.totPkts,
    f.srcBytes,
    ipfix ? startMs : (startMs - bootMs) >>> 0,
    ipfix ? endMs : (endMs - bootMs) >>> 0,
  ];
}
