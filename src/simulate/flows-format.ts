/**
 * Argus binetflow text exactly as CTU-13 publishes it: the column layout, the padded direction
 * column, hex ICMP "ports", empty dTos when no reply was seen, and microsecond UTC times.
 */

export const BINETFLOW_HEADER =
  "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label";

/** Direction column values, padded the way ra(1) prints them in CTU-13. */
export const DIR = {
  out: "   ->",
  both: "  <->",
  unsure: "  <?>",
  outUnsure: "   ?>",
  in: "  <-",
  who: "  who",
} as const;
export type Dir = (typeof DIR)[keyof typeof DIR];

export type Proto = "tcp" | "udp" | "icmp" | "arp";

/** One bidirectional flow before formatting; `us` is the start in epoch microseconds. */
export interface FlowRecord {
  us: number;
  dur: number;
  proto: Proto;
  src: string;
  sport: number | string;
  dir: Dir;
  dst: string;
  dport: number | string;
  state: string;
  pkts: number;
  bytes: number;
  srcBytes: number;
  /** Label without the "flow=" prefix, e.g. "From-Botnet-V60-1-UDP-DNS". */
  label: string;
}

export type LabelClass = "botnet" | "normal" | "background";

/** The class CTU-13 evaluation derives from a label (substring match, botnet first). */
export function labelClass(label: string): LabelClass {
  if (label.includes("Botnet")) return "botnet";
  if (label.includes("Normal")) return "normal";
  return "background";
}

/** ICMP type/code or id as Argus prints them in the port columns: 0x0008. */
export function hexPort(n: number): string {
  return `0x${(n & 0xffff).toString(16).padStart(4, "0")}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `2011/08/16 10:01:46.972101` (UTC). */
export function formatArgusTime(us: number): string {
  const sec = Math.floor(us / 1e6);
  return `${formatArgusSecond(sec)}.${String(us - sec * 1e6).padStart(6, "0")}`;
}

function formatArgusSecond(sec: number): string {
  const d = new Date(sec * 1000);
  const date = `${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}`;
  return `${date} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** Argus leaves dTos empty when the destination never answered. */
function replySeen(proto: Proto, state: string): boolean {
  if (proto === "tcp") return !state.endsWith("_");
  if (proto === "udp") return state === "CON" || state === "RSP";
  if (proto === "icmp") return state === "ECR";
  return false;
}

/** Everything after StartTime, starting with the comma. */
function formatTail(f: FlowRecord, dur: number): string {
  const sTos = f.proto === "arp" ? "" : "0";
  const dTos = replySeen(f.proto, f.state) ? "0" : "";
  return (
    `,${dur.toFixed(6)},${f.proto},${f.src},${f.sport},${f.dir},${f.dst},${f.dport},${f.state},` +
    `${sTos},${dTos},${f.pkts},${f.bytes},${f.srcBytes},flow=${f.label}`
  );
}

interface Row {
  us: number;
  tail: string;
}

/**
 * Collects flows from all generators, keeps those starting inside the capture, and renders them
 * sorted by start time (stable, so equal times keep generation order and output stays seed-exact).
 */
export class FlowSink {
  private readonly rows: Row[] = [];
  readonly counts: Record<LabelClass, number> = { botnet: 0, normal: 0, background: 0 };

  constructor(
    private readonly startUs: number,
    private readonly endUs: number,
  ) {}

  add(f: FlowRecord): void {
    const us = Math.round(f.us);
    if (us < this.startUs || us >= this.endUs) return;
    // Argus closes every record at the end of the capture.
    const dur = Math.max(0, Math.min(f.dur, (this.endUs - us) / 1e6));
    this.rows.push({ us, tail: formatTail(f, dur) });
    this.counts[labelClass(f.label)]++;
  }

  lines(): string[] {
    this.rows.sort((a, b) => a.us - b.us);
    const out: string[] = new Array(this.rows.length);
    let lastSec = Number.NaN;
    let prefix = "";
    for (let i = 0; i < this.rows.length; i++) {
      const { us, tail } = this.rows[i];
      const sec = Math.floor(us / 1e6);
      if (sec !== lastSec) {
        lastSec = sec;
        prefix = formatArgusSecond(sec);
      }
      out[i] = `${prefix}.${String(us - sec * 1e6).padStart(6, "0")}${tail}`;
    }
    return out;
  }
}
