/**
 * The state of one export stream (exporter address + version + source id / observation domain): its
 * templates, the sampling its options records announce, the exporter's boot time, the next sequence
 * number, and data sets that came before their template (kept, bounded, and decoded when it arrives).
 * Template and data sets of v9 and IPFIX are read here; both share the record decoding of values.ts.
 */
import type { Flow } from "../flows/record.ts";
import { elementCode, makeTemplate, type Template } from "./fields.ts";
import type { CollectorStats, MalformedReason } from "./stats.ts";
import type { RecordValues, TimeBase } from "./values.ts";

/** Data sets waiting for their template, per stream. */
export const MAX_PENDING_SETS = 64;

interface PendingSet {
  templateId: number;
  bytes: Uint8Array;
  base: TimeBase;
}

export interface StreamSink {
  stats: CollectorStats;
  applySampling: boolean;
  values: RecordValues;
  /** A decoded flow; `version` 9 or 10. */
  emit(f: Flow, version: number): void;
}

export class ExportStream {
  readonly templates = new Map<number, Template>();
  /** Sampling interval announced without a sampler id (NaN: none). */
  sampling = Number.NaN;
  readonly samplers = new Map<number, number>();
  sysInitMs = Number.NaN;
  /** The sequence number the next datagram should carry (NaN: unknown). */
  nextSeq = Number.NaN;
  /** IPFIX: the last sequence number, and whether the exporter numbers records after the message. */
  lastSeq = Number.NaN;
  postCount = false;
  private pending: PendingSet[] = [];

  constructor(
    readonly version: number,
    private readonly sink: StreamSink,
  ) {}

  /**
   * A template set (v9 flowset 0/1, IPFIX set 2/3) at b[o, end). Returns the damage, if any; templates
   * before it are kept.
   */
  readTemplates(b: Uint8Array, o: number, end: number, options: boolean): MalformedReason | undefined {
    const ipfix = this.version === 10;
    while (end - o >= 4) {
      const start = o;
      const id = (b[o] << 8) | b[o + 1];
      if (id < 256) {
        // padding (zeros) ends the set; anything else is not a template
        for (let i = o; i < end; i++) if (b[i] !== 0) return "bad-template";
        return undefined;
      }
      let count: number;
      let scopeCount = 0;
      if (!ipfix && options) {
        // v9 options template: scope and option lengths in bytes, 4 per field
        if (end - o < 6) return "bad-template";
        const scopeLen = (b[o + 2] << 8) | b[o + 3];
        const optLen = (b[o + 4] << 8) | b[o + 5];
        if (scopeLen % 4 !== 0 || optLen % 4 !== 0) return "bad-template";
        scopeCount = scopeLen / 4;
        count = scopeCount + optLen / 4;
        o += 6;
      } else {
        count = (b[o + 2] << 8) | b[o + 3];
        o += 4;
        if (options) {
          if (end - o < 2) return "bad-template";
          scopeCount = (b[o] << 8) | b[o + 1];
          o += 2;
          if (count > 0 && (scopeCount === 0 || scopeCount > count)) return "bad-template";
        }
      }
      if (count === 0) {
        if (!ipfix) return "bad-template";
        this.withdraw(id, options);
        continue;
      }
      const codes: number[] = [];
      const lengths: number[] = [];
      for (let i = 0; i < count; i++) {
        if (end - o < 4) return "bad-template";
        let ie = (b[o] << 8) | b[o + 1];
        const len = (b[o + 2] << 8) | b[o + 3];
        o += 4;
        let pen = 0;
        if (ipfix && ie & 0x8000) {
          if (end - o < 4) return "bad-template";
          pen = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
          ie &= 0x7fff;
          o += 4;
        }
        // v9 has no variable-length fields: 65535 there is a (huge) fixed length
        codes.push(elementCode(ie, pen));
        lengths.push(!ipfix && len === 65535 ? 65534 : len);
      }
      const signature = Buffer.from(b.buffer, b.byteOffset + start, o - start).toString("latin1");
      const t = makeTemplate(id, codes, lengths, scopeCount, signature);
      if (!t) return "bad-template";
      this.learn(t);
    }
    return undefined;
  }

  private learn(t: Template): void {
    const stats = this.sink.stats;
    const old = this.templates.get(t.id);
    if (old && old.signature === t.signature) return;
    if (old) stats.templateChanges++;
    stats.templates++;
    this.templates.set(t.id, t);
    if (this.pending.length === 0) return;
    const waiting = this.pending.filter((p) => p.templateId === t.id);
    if (waiting.length === 0) return;
    this.pending = this.pending.filter((p) => p.templateId !== t.id);
    for (const p of waiting) {
      const before = stats.records + stats.optionsRecords + stats.recordsWithoutAddresses;
      this.readData(p.bytes, 0, p.bytes.length, t, p.base);
      stats.unknownTemplate.decodedLater +=
        stats.records + stats.optionsRecords + stats.recordsWithoutAddresses - before;
    }
  }

  /** IPFIX withdrawal: one template, or all (data or options) when the id is the set id itself (2, 3). */
  private withdraw(id: number, options: boolean): void {
    this.sink.stats.templateWithdrawals++;
    if (id !== (options ? 3 : 2)) {
      this.templates.delete(id);
      return;
    }
    for (const [tid, t] of this.templates) if (t.scopeCount > 0 === options) this.templates.delete(tid);
  }

  /**
   * A data set with template id `id`: decoded, or kept until its template comes. Returns the data
   * records decoded (-1 when the template is unknown) or the damage.
   */
  dataSet(b: Uint8Array, o: number, end: number, id: number, base: TimeBase): number | MalformedReason {
    const t = this.templates.get(id);
    if (t) return this.readData(b, o, end, t, base);
    const stats = this.sink.stats;
    stats.unknownTemplate.sets++;
    if (this.pending.length >= MAX_PENDING_SETS) {
      this.pending.shift();
      stats.unknownTemplate.dropped++;
    }
    this.pending.push({ templateId: id, bytes: b.slice(o, end), base: { ...base } });
    return -1;
  }

  /** Sets still waiting when the collector stops: dropped. */
  dropPending(): void {
    this.sink.stats.unknownTemplate.dropped += this.pending.length;
    this.pending = [];
  }

  private readData(
    b: Uint8Array,
    o: number,
    end: number,
    t: Template,
    base: TimeBase,
  ): number | MalformedReason {
    const sink = this.sink;
    const stats = sink.stats;
    const v = sink.values;
    const options = t.scopeCount > 0;
    let n = 0;
    while (end - o >= t.minLength) {
      const next = v.read(b, o, end, t);
      if (next < 0) return "bad-record";
      o = next;
      n++;
      if (options) {
        stats.optionsRecords++;
        this.options(v);
      } else if (v.hasAddresses()) {
        if (!Number.isNaN(v.sysInitMs)) this.sysInitMs = v.sysInitMs;
        stats.records++;
        if (this.version === 9) stats.v9.records++;
        else stats.ipfix.records++;
        sink.emit(v.toFlow(b, this.timeBase(base), this.rate(v)), this.version);
      } else {
        stats.recordsWithoutAddresses++;
        this.options(v);
      }
    }
    return n;
  }

  private timeBase(base: TimeBase): TimeBase {
    if (this.version === 10) base.sysInitMs = this.sysInitMs;
    return base;
  }

  /** What an options (or address-less) record announces: sampling, boot time. */
  private options(v: RecordValues): void {
    const interval = v.announcedInterval();
    if (interval > 0) {
      if (Number.isNaN(v.samplerId)) this.sampling = interval;
      else if (this.samplers.size < 1024 || this.samplers.has(v.samplerId))
        this.samplers.set(v.samplerId, interval);
    }
    if (!Number.isNaN(v.sysInitMs)) this.sysInitMs = v.sysInitMs;
  }

  /** The 1-in-N sampling a flow record's counts are scaled by. */
  private rate(v: RecordValues): number {
    if (!this.sink.applySampling) return 1;
    if (v.samplingInterval > 0) return v.samplingInterval;
    if (!Number.isNaN(v.samplerId)) {
      const r = this.samplers.get(v.samplerId);
      if (r !== undefined) return r;
    }
    return this.sampling > 0 ? this.sampling : 1;
  }
}
