/**
 * NetFlow/IPFIX export datagrams inside a packet capture (what `tcpdump -w export.pcap udp port 2055`
 * records): each UDP payload with its exporter address and capture time. Link layers Ethernet (VLAN
 * tags), Linux cooked (SLL, SLL2), raw IP and BSD loopback; IPv4 and IPv6; fragments are not
 * reassembled (counted). Without a port filter, payloads that do not start with version 5, 9 or 10 are
 * other UDP traffic and counted, not decoded.
 */
import { createReadStream } from "node:fs";
import { ipv6 } from "../capture/decode.ts";
import { PacketReader, type PacketRecord } from "../capture/packets.ts";
import { ipv4At } from "./values.ts";

export interface ExportCaptureStats {
  packets: number;
  datagrams: number;
  /** UDP datagrams that are not exports (other ports, or not version 5/9/10 without a port filter). */
  otherUdp: number;
  /** Packets that are not UDP over IP, or cut off before the UDP header. */
  notUdp: number;
  /** Non-first fragments and first fragments of a fragmented export (not reassembled). */
  fragments: number;
}

export interface ExportCaptureOptions {
  /** Only datagrams to these UDP ports (all of them, garbage included, go to the decoder). */
  ports?: number[];
  chunkBytes?: number;
  /** Checked before every packet: true ends the reading there. */
  stopped?: () => boolean;
}

type OnDatagram = (payload: Uint8Array, exporter: string, ts: number) => void;

/** The UDP payload of one packet record, or a reason it has none. */
function udpPayload(p: PacketRecord, ports: Set<number> | null, s: ExportCaptureStats, on: OnDatagram): void {
  const b = p.buf;
  const end = p.start + p.caplen;
  let o = p.start;
  let eth = 0;
  switch (p.linkType) {
    case 1:
      o += 12;
      if (o + 2 > end) return void s.notUdp++;
      eth = (b[o] << 8) | b[o + 1];
      o += 2;
      while ((eth === 0x8100 || eth === 0x88a8) && o + 4 <= end) {
        eth = (b[o + 2] << 8) | b[o + 3];
        o += 4;
      }
      break;
    case 113:
      if (o + 16 > end) return void s.notUdp++;
      eth = (b[o + 14] << 8) | b[o + 15];
      o += 16;
      break;
    case 276:
      if (o + 20 > end) return void s.notUdp++;
      eth = (b[o] << 8) | b[o + 1];
      o += 20;
      break;
    case 0:
    case 108:
      o += 4;
      eth = o < end && b[o] >> 4 === 6 ? 0x86dd : 0x0800;
      break;
    case 12:
    case 14:
    case 101:
    case 228:
    case 229:
      eth = o < end && b[o] >> 4 === 6 ? 0x86dd : 0x0800;
      break;
    default:
      return void s.notUdp++;
  }
  let exporter: string;
  if (eth === 0x0800) {
    if (o + 20 > end || b[o] >> 4 !== 4) return void s.notUdp++;
    if (b[o + 9] !== 17) return void s.notUdp++;
    if ((((b[o + 6] & 0x3f) << 8) | b[o + 7]) !== 0) return void s.fragments++;
    exporter = ipv4At(b, o + 12);
    o += (b[o] & 15) * 4;
  } else if (eth === 0x86dd) {
    if (o + 40 > end || b[o] >> 4 !== 6) return void s.notUdp++;
    let next = b[o + 6];
    exporter = ipv6(b, o + 8);
    o += 40;
    // hop-by-hop, routing and destination options may come before UDP
    while ((next === 0 || next === 43 || next === 60) && o + 8 <= end) {
      next = b[o];
      o += 8 + b[o + 1] * 8;
    }
    if (next === 44) return void s.fragments++;
    if (next !== 17) return void s.notUdp++;
  } else return void s.notUdp++;
  if (o + 8 > end) return void s.notUdp++;
  const dport = (b[o + 2] << 8) | b[o + 3];
  const udpLen = (b[o + 4] << 8) | b[o + 5];
  // the UDP length bounds the payload (Ethernet pads short frames); the capture may cut it
  const payloadEnd = Math.min(end, udpLen >= 8 ? o + udpLen : end);
  const payload = b.subarray(o + 8, payloadEnd);
  if (ports ? !ports.has(dport) : !looksLikeExport(payload)) return void s.otherUdp++;
  s.datagrams++;
  on(payload, exporter, p.ts);
}

/** Whether bytes start with NetFlow version 5, 9 or IPFIX's 10. */
export function looksLikeExport(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0 && (b[1] === 5 || b[1] === 9 || b[1] === 10);
}

/**
 * Reads a capture file and hands every export datagram to `onDatagram` (bytes valid during the call
 * only). `afterChunk` runs after each chunk of the file (a back-pressure point).
 */
export async function readExportCapture(
  file: string,
  o: ExportCaptureOptions,
  onDatagram: OnDatagram,
  afterChunk?: () => Promise<void> | void,
): Promise<ExportCaptureStats> {
  const s: ExportCaptureStats = { packets: 0, datagrams: 0, otherUdp: 0, notUdp: 0, fragments: 0 };
  const ports = o.ports?.length ? new Set(o.ports) : null;
  const stopped = o.stopped ?? (() => false);
  const reader = new PacketReader((p) => {
    if (stopped()) return;
    s.packets++;
    udpPayload(p, ports, s, onDatagram);
  });
  const stream = createReadStream(file, { highWaterMark: o.chunkBytes ?? 1 << 20 });
  for await (const chunk of stream) {
    reader.feed(chunk as Buffer);
    if (afterChunk) await afterChunk();
    if (stopped()) break;
  }
  if (!stopped()) reader.end();
  stream.destroy();
  return s;
}
