import type { BadLineReason } from "../bad-lines.ts";

/**
 * One network flow as every flow reader produces it, whatever the source (Argus binetflow, nfdump,
 * Zeek conn.log, relbot text). Fields a source does not have are null, "" or 0 as documented below.
 * Strings are latin1-decoded bytes of the input.
 */
export interface Flow {
  /** Start of the flow in epoch seconds, sub-second (UTC). */
  start: number;
  /** Duration in seconds (0 when the source has none). */
  duration: number;
  /** Lower-case protocol name: tcp, udp, icmp, ipv6-icmp, arp, ...; "" when the source has none. */
  proto: string;
  srcAddr: string;
  /** Source port; for ICMP the type/code Argus prints in hex (0x0008 -> 8). Null when empty. */
  srcPort: number | null;
  /** Argus direction, trimmed: ->, <->, <-, <?>, ?>, who, ...; "->" for unidirectional sources. */
  dir: string;
  dstAddr: string;
  /** Destination port; null when empty. */
  dstPort: number | null;
  /** Argus State (CON, FSPA_FSPA, INT, ...), Zeek conn_state, nfdump TCP flags; "" when none. */
  state: string;
  /** Source type of service; null when empty. */
  sTos: number | null;
  /** Destination type of service; null when empty (Argus: no reply seen). */
  dTos: number | null;
  /** Packets in both directions (0 when the source does not count them). */
  totPkts: number;
  /** Bytes in both directions, headers included. */
  totBytes: number;
  /** Bytes from the source. */
  srcBytes: number;
  /** Packets from the source, when the source says. */
  srcPkts: number | null;
  /** Packets from the destination, when the source says. */
  dstPkts: number | null;
  /** Ground-truth label without CTU-13's "flow=" prefix ("From-Botnet-V42-UDP-DNS"); null when none. */
  label: string | null;
  /** Further numeric columns by Argus name (Load, Rate, SrcJitter, sTtl, ...); null when there are none. */
  extra: Record<string, number> | null;
}

/** A fresh flow with every field empty: the scratch record of `reuseRecord`. */
export function emptyFlow(): Flow {
  return {
    start: 0,
    duration: 0,
    proto: "",
    srcAddr: "",
    srcPort: null,
    dir: "",
    dstAddr: "",
    dstPort: null,
    state: "",
    sTos: null,
    dTos: null,
    totPkts: 0,
    totBytes: 0,
    srcBytes: 0,
    srcPkts: null,
    dstPkts: null,
    label: null,
    extra: null,
  };
}

/** A copy of a flow that owns its `extra` (for consumers of `reuseRecord` that keep flows). */
export function copyFlow(f: Flow): Flow {
  return { ...f, extra: f.extra ? { ...f.extra } : null };
}

export type FlowLabelClass = "botnet" | "normal" | "background";

/**
 * The class CTU-13 evaluation derives from a label by substring (botnet first): From-Botnet, To-Botnet or
 * Botnet -> botnet; Normal -> normal; Background -> background; anything else, or no label -> null.
 */
export function labelClass(label: string | null | undefined): FlowLabelClass | null {
  if (!label) return null;
  if (label.includes("Botnet")) return "botnet";
  if (label.includes("Normal")) return "normal";
  if (label.includes("Background")) return "background";
  return null;
}

/**
 * What a line parser makes of one line: a flow, the reason it is bad, or null for a line that carries no
 * flow by design (a header, a comment, nfdump's summary), which is neither a flow nor a bad line.
 */
export type FlowParseResult = Flow | BadLineReason | null;

/** Parses one format, line by line. Parsers keep state across lines (a header's column layout). */
export interface FlowLineParser {
  /** The format name as `readFlows` reports it. */
  readonly name: string;
  /**
   * Parses one line into `into` (every field overwritten) or a new flow. Passing a scratch flow saves an
   * allocation per line for consumers that copy what they keep.
   */
  parse(line: string, into?: Flow): FlowParseResult;
  /** Called before the first line of every file (forget per-file state such as a summary trailer). */
  startFile?(): void;
}
