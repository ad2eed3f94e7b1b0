/**
 * NetFlow v5, v9 and IPFIX datagrams to flows. One decoder serves any number of exporters: template,
 * sampling and sequence state is kept per export stream (exporter address + version + engine / source
 * id / observation domain), so two exporters using the same source id never mix. Never throws on any
 * bytes: damage is counted by reason in `stats`, and the sets before it are still decoded.
 */
import type { Flow } from "../flows/record.ts";
import { decodeIpfix, IPFIX_HEADER, ipfixDomain, ipfixSequence } from "./ipfix.ts";
import { type CollectorStats, emptyCollectorStats, type MalformedReason } from "./stats.ts";
import { ExportStream, type StreamSink } from "./stream.ts";
import { decodeV5, type V5Header, v5Header } from "./v5.ts";
import { decodeV9, V9_HEADER, v9Sequence, v9SourceId } from "./v9.ts";
import { RecordValues, type TimeBase } from "./values.ts";

/** Export streams (exporter, version, domain) kept at most. */
export const MAX_STREAMS = 4096;

export interface DecoderOptions {
  /** Scale packets and bytes by the announced sampling interval (default true, as nfcapd does). */
  applySampling?: boolean;
}

/** Gets every decoded flow (a new object, the caller may keep it) and the NetFlow version (5, 9, 10). */
export type FlowSink = (f: Flow, version: number) => void;

export class NetflowDecoder implements StreamSink {
  readonly stats: CollectorStats = emptyCollectorStats();
  readonly values = new RecordValues();
  readonly applySampling: boolean;
  private readonly streams = new Map<string, ExportStream>();
  private readonly v5: V5Header = { count: 0, sequence: 0, engine: 0 };
  private readonly base: TimeBase = { exportMs: 0, sysUptime: Number.NaN, sysInitMs: Number.NaN };
  private readonly emit5 = (f: Flow) => this.onFlow(f, 5);

  constructor(
    private readonly onFlow: FlowSink,
    o: DecoderOptions = {},
  ) {
    this.applySampling = o.applySampling ?? true;
  }

  emit(f: Flow, version: number): void {
    this.onFlow(f, version);
  }

  /** Decodes one datagram from `exporter` (its address: the key of its templates). */
  decode(b: Uint8Array, exporter = ""): void {
    this.stats.datagrams++;
    this.stats.bytes += b.length;
    const bad = this.decodeVersion(b, exporter);
    if (bad) {
      this.stats.malformed++;
      this.stats.malformedByReason[bad] = (this.stats.malformedByReason[bad] ?? 0) + 1;
    }
  }

  private decodeVersion(b: Uint8Array, exporter: string): MalformedReason | undefined {
    const stats = this.stats;
    if (b.length < 2) return "truncated";
    const version = (b[0] << 8) | b[1];
    if (version === 5) {
      stats.v5.datagrams++;
      const h = this.v5;
      const bad = v5Header(b, h);
      if (bad) return bad;
      const s = this.stream(`${exporter}|5|${h.engine}`, 5);
      this.sequence(s, h.sequence, h.count, false);
      decodeV5(b, h.count, stats, this.applySampling, this.emit5);
      return undefined;
    }
    if (version === 9) {
      stats.v9.datagrams++;
      if (b.length < V9_HEADER) return "truncated";
      const s = this.stream(`${exporter}|9|${v9SourceId(b)}`, 9);
      this.sequence(s, v9Sequence(b), 1, true);
      return decodeV9(b, s, this.base);
    }
    if (version !== 10) return "unknown-version";
    stats.ipfix.datagrams++;
    if (b.length < IPFIX_HEADER) return "truncated";
    const length = (b[2] << 8) | b[3];
    if (length > b.length) return "truncated";
    if (length < IPFIX_HEADER) return "bad-length";
    const s = this.stream(`${exporter}|10|${ipfixDomain(b)}`, 10);
    const seq = ipfixSequence(b);
    const r = decodeIpfix(b, length, s, this.base);
    if (typeof r === "string") {
      s.nextSeq = Number.NaN;
      s.lastSeq = Number.NaN;
      return r;
    }
    this.ipfixSequence(s, seq, r);
    return length !== b.length ? "bad-length" : undefined;
  }

  /** The collector stops: data sets still waiting for a template are counted as dropped. */
  finish(): void {
    for (const s of this.streams.values()) s.dropPending();
  }

  private stream(key: string, version: number): ExportStream {
    let s = this.streams.get(key);
    if (!s) {
      if (this.streams.size >= MAX_STREAMS) {
        // spoofed or churning exporters must not grow the state without bound: forget the oldest
        const [oldKey, old] = this.streams.entries().next().value as [string, ExportStream];
        old.dropPending();
        this.streams.delete(oldKey);
      }
      s = new ExportStream(version, this);
      this.streams.set(key, s);
      this.stats.exporters++;
    }
    return s;
  }

  /**
   * IPFIX numbers the data records sent before a message (RFC 7011); some exporters (softflowd) number
   * them after it. A stream whose first gap is exactly explained by the latter is read that way from
   * then on. `n` < 0: a set waits for its template, so the count (and the next gap) is unknown.
   */
  private ipfixSequence(s: ExportStream, seq: number, n: number): void {
    if (n >= 0 && !Number.isNaN(s.lastSeq)) {
      const post = (seq - n - s.lastSeq) >>> 0;
      let gap = s.postCount ? post : Number.isNaN(s.nextSeq) ? 0 : (seq - s.nextSeq) >>> 0;
      if (gap !== 0 && !s.postCount && post === 0) {
        s.postCount = true;
        gap = 0;
      }
      if (gap !== 0) {
        if (gap < 0x80000000) this.stats.lostRecords += gap;
        else this.stats.sequenceResets++;
      }
    }
    s.lastSeq = n >= 0 ? seq : Number.NaN;
    s.nextSeq = n >= 0 ? (seq + n) >>> 0 : Number.NaN;
  }

  /**
   * Checks a datagram's sequence number against the one expected, then expects `seq + n`. A gap
   * forward is loss (records, or datagrams for v9); a step back is a restart or reordering.
   */
  private sequence(s: ExportStream, seq: number, n: number, datagrams: boolean): void {
    if (!Number.isNaN(s.nextSeq)) {
      const gap = (seq - s.nextSeq) >>> 0;
      if (gap !== 0) {
        if (gap < 0x80000000) {
          if (datagrams) this.stats.lostDatagrams += gap;
          else this.stats.lostRecords += gap;
        } else this.stats.sequenceResets++;
      }
    }
    s.nextSeq = (seq + n) >>> 0;
  }
}
