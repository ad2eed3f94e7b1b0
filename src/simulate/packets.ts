/**
 * Packet frames for simulated captures: Ethernet (optionally 802.1Q-tagged) or raw IP carrying IPv4
 * or IPv6 with TCP, UDP, ICMP/ICMPv6 or a bare protocol payload, plus ARP. Headers are minimal and
 * valid (IPv4 checksum set, transport checksums left zero, which capture readers do not check);
 * payload bytes are a constant filler.
 */

export interface FrameSpec {
  /** 4 (IPv4) or 16 (IPv6) address bytes; see addressBytes. */
  src: Uint8Array;
  dst: Uint8Array;
  /** IP protocol: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, anything else a bare payload. */
  proto: number;
  sport?: number;
  dport?: number;
  /** TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16). */
  tcpFlags?: number;
  /** TCP sequence and acknowledgement numbers (default 1 and 0). */
  seq?: number;
  ack?: number;
  icmpType?: number;
  icmpCode?: number;
  /** ICMP echo identifier (bytes 4-5 of the ICMP header). */
  icmpId?: number;
  /** Bytes after the transport header. */
  payload?: number;
  tos?: number;
  ttl?: number;
  /** 802.1Q tag (Ethernet only). */
  vlan?: number;
  /** "ethernet" (default) or "raw" (LINKTYPE_RAW: the IP packet alone). */
  link?: "ethernet" | "raw";
}

/** Address text (dotted IPv4 or IPv6 with at most one "::") as 4 or 16 bytes. */
export function addressBytes(text: string): Uint8Array {
  if (!text.includes(":")) {
    const parts = text.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255)))
      throw new RangeError(`not an IPv4 address: ${text}`);
    return Uint8Array.from(parts);
  }
  const [head, tail] = text.split("::");
  const hs = head ? head.split(":") : [];
  const ts = tail ? tail.split(":") : [];
  const missing = 8 - hs.length - ts.length;
  if (missing < 0 || (tail === undefined && missing !== 0))
    throw new RangeError(`not an IPv6 address: ${text}`);
  const groups = [...hs, ...Array<string>(missing).fill("0"), ...ts].map((g) => Number.parseInt(g, 16));
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 255;
  });
  return out;
}

const MACS = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

/** Transport header length for a spec (TCP 20, UDP 8, ICMP 8, other 0). */
export function transportHeaderLength(proto: number): number {
  return proto === 6 ? 20 : proto === 17 || proto === 1 || proto === 58 ? 8 : 0;
}

/** Link + IP + transport header bytes of a frame for `spec` (payload excluded). */
export function headerLength(spec: FrameSpec): number {
  const link = spec.link === "raw" ? 0 : spec.vlan === undefined ? 14 : 18;
  return link + (spec.src.length === 16 ? 40 : 20) + transportHeaderLength(spec.proto);
}

/**
 * The frame for `spec`, written into `out` when it is large enough (a reused scratch buffer: the
 * result is a view of it) or into a new array.
 */
export function buildFrame(spec: FrameSpec, out?: Uint8Array): Uint8Array {
  const payload = spec.payload ?? 0;
  const len = headerLength(spec) + payload;
  const b = out && out.length >= len ? out.subarray(0, len) : new Uint8Array(len);
  const v6 = spec.src.length === 16;
  let o = 0;
  if (spec.link !== "raw") {
    b.set(MACS, 0);
    o = 12;
    if (spec.vlan !== undefined) {
      b[o++] = 0x81;
      b[o++] = 0;
      b[o++] = (spec.vlan >> 8) & 15;
      b[o++] = spec.vlan & 255;
    }
    b[o++] = v6 ? 0x86 : 0x08;
    b[o++] = v6 ? 0xdd : 0x00;
  }
  const ipLen = len - o;
  const tos = spec.tos ?? 0;
  if (v6) {
    b[o] = 0x60 | (tos >> 4);
    b[o + 1] = (tos & 15) << 4;
    b[o + 2] = 0;
    b[o + 3] = 0;
    b[o + 4] = ((ipLen - 40) >> 8) & 255;
    b[o + 5] = (ipLen - 40) & 255;
    b[o + 6] = spec.proto;
    b[o + 7] = spec.ttl ?? 64;
    b.set(spec.src, o + 8);
    b.set(spec.dst, o + 24);
    o += 40;
  } else {
    b[o] = 0x45;
    b[o + 1] = tos;
    b[o + 2] = (ipLen >> 8) & 255;
    b[o + 3] = ipLen & 255;
    b[o + 4] = 0;
    b[o + 5] = 1;
    b[o + 6] = 0x40; // don't fragment
    b[o + 7] = 0;
    b[o + 8] = spec.ttl ?? 64;
    b[o + 9] = spec.proto;
    b[o + 10] = 0;
    b[o + 11] = 0;
    b.set(spec.src, o + 12);
    b.set(spec.dst, o + 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (b[o + i] << 8) | b[o + i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const ck = ~sum & 0xffff;
    b[o + 10] = ck >> 8;
    b[o + 11] = ck & 255;
    o += 20;
  }
  const sport = spec.sport ?? 0;
  const dport = spec.dport ?? 0;
  switch (spec.proto) {
    case 6: {
      b[o] = sport >> 8;
      b[o + 1] = sport & 255;
      b[o + 2] = dport >> 8;
      b[o + 3] = dport & 255;
      const seq = spec.seq ?? 1;
      const ack = spec.ack ?? 0;
      b[o + 4] = seq >>> 24;
      b[o + 5] = (seq >>> 16) & 255;
      b[o + 6] = (seq >>> 8) & 255;
      b[o + 7] = seq & 255;
      b[o + 8] = ack >>> 24;
      b[o + 9] = (ack >>> 16) & 255;
      b[o + 10] = (ack >>> 8) & 255;
      b[o + 11] = ack & 255;
      b[o + 12] = 0x50; // data offset 5 words
      b[o + 13] = spec.tcpFlags ?? 0;
      b[o + 14] = 0xff;
      b[o + 15] = 0xff;
      for (let i = 16; i < 20; i++) b[o + i] = 0;
      o += 20;
      break;
    }
    case 17:
      b[o] = sport >> 8;
      b[o + 1] = sport & 255;
      b[o + 2] = dport >> 8;
      b[o + 3] = dport & 255;
      b[o + 4] = ((8 + payload) >> 8) & 255;
      b[o + 5] = (8 + payload) & 255;
      b[o + 6] = 0;
      b[o + 7] = 0;
      o += 8;
      break;
    case 1:
    case 58: {
      const id = spec.icmpId ?? 0;
      b[o] = spec.icmpType ?? 8;
      b[o + 1] = spec.icmpCode ?? 0;
      b[o + 2] = 0;
      b[o + 3] = 0;
      b[o + 4] = id >> 8;
      b[o + 5] = id & 255;
      b[o + 6] = 0;
      b[o + 7] = 1;
      o += 8;
      break;
    }
  }
  b.fill(0x61, o, o + payload);
  return b;
}

/** A locally administered MAC address made from an IPv4 address: 02:00:a:b:c:d. */
function macOf(ip: Uint8Array): number[] {
  return [2, 0, ip[0], ip[1], ip[2], ip[3]];
}

/**
 * An Ethernet ARP request (`who has target tell sender`, broadcast) or reply (`sender is at`, to the
 * target), IPv4 addresses as 4 bytes; MAC addresses are made from the IPv4 addresses.
 */
export function arpFrame(sender: Uint8Array, target: Uint8Array, reply = false): Uint8Array {
  const b = new Uint8Array(42);
  b.set(reply ? macOf(target) : [255, 255, 255, 255, 255, 255], 0);
  b.set(macOf(sender), 6);
  b[12] = 0x08;
  b[13] = 0x06;
  b.set([0, 1, 8, 0, 6, 4, 0, reply ? 2 : 1], 14);
  b.set(macOf(sender), 22);
  b.set(sender, 28);
  if (reply) b.set(macOf(target), 32);
  b.set(target, 38);
  return b;
}
