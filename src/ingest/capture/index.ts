/**
 * Capture files (pcap, pcapng) to flows: streams the file through PacketReader, decodes every packet
 * and assembles bidirectional flows (see flows.ts for the fields), handed out in start-time order.
 * Damage is counted in the stats, never fatal.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import type { Flow } from "../flows/record.ts";
import { type DecodeResult, decodePacket, emptyDecoded } from "./decode.ts";
import { FlowTable, type FlowTableOptions } from "./flows.ts";
import { CaptureKernel } from "./kernel.ts";
import { captureMagic, PacketReader, type PacketReaderStats, type RecordScanner } from "./packets.ts";

export type { FlowTableOptions } from "./flows.ts";
export { captureMagic } from "./packets.ts";

export interface CaptureStats extends PacketReaderStats {
  /** Packet records read. */
  packets: number;
  /** Packets that went into flows. */
  flowPackets: number;
  /** Of those, packets the WebAssembly kernel added (kernel.ts). */
  kernelPackets: number;
  /** Later IP fragments (no transport header: in the flow of their first fragment, ports 0 without it). */
  fragments: number;
  /** Packets in flows whose transport header the snap length cut (missing TCP flags read as none). */
  partial: number;
  /** Packets whose captured bytes end before the addresses or ports a flow needs (not in any flow). */
  truncated: number;
  /** Packets of a link type botscope does not decode, and which ones. */
  unknownLink: number;
  unknownLinkTypes: number[];
  /** Neither IP nor ARP (LLDP, STP, ...). */
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
  /** Bytes read at a time (default 4 MiB). */
  chunkBytes?: number;
  /**
   * Whether the WebAssembly kernel (kernel.ts) may take the plain packets of a capture file (default
   * true; the same flows either way).
   */
  kernel?: boolean;
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
  const kernel = file !== "-" && opts.kernel !== false ? CaptureKernel.create() : undefined;
  const table = new FlowTable(onFlow, opts, kernel);
  const d = emptyDecoded();
  const counts: Record<DecodeResult, number> = {
    ok: 0,
    "non-ip": 0,
    "unknown-link": 0,
    truncated: 0,
    "bad-ip": 0,
  };
  const unknownLinks = new Set<number>();
  let packets = 0;
  let ok = 0;
  let fragments = 0;
  let partial = 0;
  const scanner: RecordScanner | undefined = kernel && {
    takes: (b, linkType) => linkType === 1 && kernel.owns(b),
    scan(b, p, end, lastTs, units, snap) {
      const q = table.addPlain(b, p, end, lastTs, units, snap);
      this.count = kernel.count;
      this.lastTs = kernel.lastTs;
      return q;
    },
    count: 0,
    lastTs: 0,
  };
  const reader = new PacketReader((p) => {
    packets++;
    const r = decodePacket(p.linkType, p.buf, p.start, p.start + p.caplen, d);
    if (r === "ok") {
      ok++;
      if (d.fragment === 2) fragments++;
      if (d.partial) partial++;
      table.add(p, d);
    } else {
      counts[r]++;
      if (r === "unknown-link") unknownLinks.add(p.linkType);
    }
  }, scanner);
  const chunk = opts.chunkBytes ?? 1 << 22;
  if (file === "-") {
    for await (const c of process.stdin as AsyncIterable<Buffer>) {
      reader.feed(c);
      if (afterChunk) await afterChunk();
    }
  } else {
    // two buffers: the next read runs (on libuv's thread pool) while this chunk is parsed
    const bufs = kernel
      ? [kernel.bytes(chunk), kernel.bytes(chunk)]
      : [new Uint8Array(chunk), new Uint8Array(chunk)];
    let i = 0;
    const fh = await open(file, "r");
    let pending: Promise<{ bytesRead: number }> | undefined = fh.read(bufs[0], 0, chunk, null);
    try {
      for (;;) {
        const { bytesRead } = await pending;
        pending = undefined;
        if (bytesRead === 0) break;
        const cur = bufs[i];
        i ^= 1;
        pending = fh.read(bufs[i], 0, chunk, null);
        reader.feed(cur.subarray(0, bytesRead));
        if (afterChunk) await afterChunk();
      }
    } finally {
      await pending?.catch(() => undefined);
      await fh.close();
    }
  }
  reader.end();
  table.finish();
  if (afterChunk) await afterChunk();
  // packets the kernel added went into flows without the callback
  const kernelPackets = kernel?.packets ?? 0;
  packets += kernelPackets;
  ok += kernelPackets;
  return {
    ...reader.stats,
    packets,
    flowPackets: ok,
    kernelPackets,
    fragments,
    partial,
    truncated: counts.truncated,
    unknownLink: counts["unknown-link"],
    unknownLinkTypes: [...unknownLinks].sort((a, b) => a - b),
    nonIp: counts["non-ip"],
    badIp: counts["bad-ip"],
    flows: table.flows,
  };
}
