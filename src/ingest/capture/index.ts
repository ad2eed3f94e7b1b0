/**
 * Capture files (pcap, pcapng) to flows: streams the file through PacketReader, decodes every packet
 * and assembles bidirectional flows (see flows.ts for the fields), handed out in start-time order.
 * Damage is counted in the stats, never fatal.
 */
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import type { Flow } from "../flows/record.ts";
import { type DecodeResult, decodePacket, emptyDecoded } from "./decode.ts";
import { FlowTable, type FlowTableOptions } from "./flows.ts";
import { captureMagic, PacketReader, type PacketReaderStats } from "./packets.ts";

export type { FlowTableOptions } from "./flows.ts";
export { captureMagic } from "./packets.ts";

export interface CaptureStats extends PacketReaderStats {
  /** Packet records read. */
  packets: number;
  /** Packets that went into flows. */
  flowPackets: number;
  /** Non-first IP fragments (no transport header; not in any flow). */
  fragments: number;
  /** Packets whose captured bytes end before a header the flow needs. */
  truncated: number;
  /** Packets of a link type botscope does not decode, and which ones. */
  unknownLink: number;
  unknownLinkTypes: number[];
  /** Not IP (ARP, LLDP, ...). */
  nonIp: number;
  /** Invalid IP headers. */
  badIp: number;
  flows: number;
}

/** Whether a file is a pcap or pcapng capture, by its first four bytes. */
export function isCaptureFile(file: string): boolean {
  const head = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const n = readSync(fd, head, 0, 4, 0);
    return captureMagic(head.subarray(0, n)) !== undefined;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface CaptureReadOptions extends FlowTableOptions {
  /** Bytes read at a time (default 1 MiB). */
  chunkBytes?: number;
}

/**
 * Reads a capture ("-" for stdin) into flows, calling onFlow in start-time order and `afterChunk`
 * after every chunk of input (a back-pressure point). Input that is not a capture at all throws.
 */
export async function readCaptureFlows(
  file: string,
  opts: CaptureReadOptions,
  onFlow: (f: Flow) => void,
  afterChunk?: () => Promise<void> | void,
): Promise<CaptureStats> {
  const table = new FlowTable(onFlow, opts);
  const d = emptyDecoded();
  const counts: Record<DecodeResult, number> = {
    ok: 0,
    "non-ip": 0,
    "unknown-link": 0,
    truncated: 0,
    fragment: 0,
    "bad-ip": 0,
  };
  const unknownLinks = new Set<number>();
  let packets = 0;
  const reader = new PacketReader((p) => {
    packets++;
    const r = decodePacket(p.linkType, p.data, d);
    counts[r]++;
    if (r === "ok") table.add(p.ts, d, p.origLen);
    else if (r === "unknown-link") unknownLinks.add(p.linkType);
  });
  const stream =
    file === "-" ? process.stdin : createReadStream(file, { highWaterMark: opts.chunkBytes ?? 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    reader.feed(chunk);
    if (afterChunk) await afterChunk();
  }
  reader.end();
  table.finish();
  if (afterChunk) await afterChunk();
  return {
    ...reader.stats,
    packets,
    flowPackets: counts.ok,
    fragments: counts.fragment,
    truncated: counts.truncated,
    unknownLink: counts["unknown-link"],
    unknownLinkTypes: [...unknownLinks].sort((a, b) => a - b),
    nonIp: counts["non-ip"],
    badIp: counts["bad-ip"],
    flows: table.flows,
  };
}
