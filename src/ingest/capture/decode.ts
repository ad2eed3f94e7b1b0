/**
 * Packet decoding down to the transport header: link layers Ethernet (with 802.1Q/802.1ad VLAN tags),
 * Linux cooked capture (SLL and SLL2), raw IP (LINKTYPE_RAW, IPV4, IPV6, DLT_RAW 12/14); IPv4 and IPv6
 * (extension headers skipped); TCP, UDP, ICMP, ICMPv6 ports, flags and types.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** What decoding made of a packet. */
export type DecodeResult =
  | "ok"
  /** Not IP (ARP, LLDP, ...). */
  | "non-ip"
  | "unknown-link"
  /** Captured bytes end before a header the flow needs. */
  | "truncated"
  /** A non-first IP fragment: no transport header. */
  | "fragment"
  /** Not a valid IP header (wrong version, header length). */
  | "bad-ip";

/** The decoded fields of one packet (one scratch object, overwritten per packet). */
export interface Decoded {
  /** 4 or 6. */
  ipVersion: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, other). */
  proto: number;
  src: string;
  dst: string;
  /** TCP/UDP ports; ICMP: sport type, dport code. 0 for other protocols. */
  sport: number;
  dport: number;
  /** ICMP echo identifier (-1 when not an echo request or reply). */
  icmpId: number;
  /** TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128). */
  tcpFlags: number;
  tos: number;
  ttl: number;
}

export function emptyDecoded(): Decoded {
  return {
    ipVersion: 0,
    proto: 0,
    src: "",
    dst: "",
    sport: 0,
    dport: 0,
    icmpId: -1,
    tcpFlags: 0,
    tos: 0,
    ttl: 0,
  };
}

function ipv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** RFC 5952 text of 16 bytes: lower-case hex, longest run (of 2 or more) of zero groups as "::". */
export function ipv6(b: Uint8Array, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff)
    return `::ffff:${ipv4(b, o + 12)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

/** Decodes one packet into `d`. */
export function decodePacket(linkType: number, b: Uint8Array, d: Decoded): DecodeResult {
  let o: number;
  let ethType: number;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (b.length < 14) return "truncated";
      o = 12;
      ethType = (b[o] << 8) | b[o + 1];
      o += 2;
      while (ethType === 0x8100 || ethType === 0x88a8 || ethType === 0x9100) {
        if (b.length < o + 4) return "truncated";
        ethType = (b[o + 2] << 8) | b[o + 3];
        o += 4;
      }
      break;
    }
    case LINKTYPE_LINUX_SLL:
      if (b.length < 16) return "truncated";
      ethType = (b[14] << 8) | b[15];
      o = 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (b.length < 20) return "truncated";
      ethType = (b[0] << 8) | b[1];
      o = 20;
      break;
    case LINKTYPE_NULL: {
      if (b.length < 4) return "truncated";
      // the address family in the byte order of the capturing machine
      const fam = b[0] !== 0 ? b[0] : b[3];
      ethType = fam === 2 ? ETH_IPV4 : fam === 24 || fam === 28 || fam === 30 ? ETH_IPV6 : 0;
      o = 4;
      break;
    }
    case LINKTYPE_RAW:
    case 12:
    case 14:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      if (b.length < 1) return "truncated";
      ethType = b[0] >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
      o = 0;
      break;
    default:
      return "unknown-link";
  }
  if (ethType === ETH_IPV4) return decodeIpv4(b, o, d);
  if (ethType === ETH_IPV6) return decodeIpv6(b, o, d);
  return "non-ip";
}

function decodeIpv4(b: Uint8Array, o: number, d: Decoded): DecodeResult {
  if (b.length < o + 20) return "truncated";
  if (b[o] >> 4 !== 4) return "bad-ip";
  const ihl = (b[o] & 15) * 4;
  if (ihl < 20) return "bad-ip";
  d.ipVersion = 4;
  d.tos = b[o + 1];
  d.ttl = b[o + 8];
  d.proto = b[o + 9];
  d.src = ipv4(b, o + 12);
  d.dst = ipv4(b, o + 16);
  const fragOffset = ((b[o + 6] & 0x1f) << 8) | b[o + 7];
  if (fragOffset !== 0) return "fragment";
  if (b.length < o + ihl) return "truncated";
  return transport(b, o + ihl, d);
}

function decodeIpv6(b: Uint8Array, o: number, d: Decoded): DecodeResult {
  if (b.length < o + 40) return "truncated";
  if (b[o] >> 4 !== 6) return "bad-ip";
  d.ipVersion = 6;
  d.tos = ((b[o] & 15) << 4) | (b[o + 1] >> 4);
  d.ttl = b[o + 7];
  d.src = ipv6(b, o + 8);
  d.dst = ipv6(b, o + 24);
  let next = b[o + 6];
  o += 40;
  // extension headers: hop-by-hop 0, routing 43, fragment 44, destination options 60, mobility 135,
  // HIP 139, shim6 140, AH 51 (length in 4-byte units)
  for (;;) {
    if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
      if (b.length < o + 8) return "truncated";
      const n = b[o];
      o += 8 + b[o + 1] * 8;
      next = n;
    } else if (next === 44) {
      if (b.length < o + 8) return "truncated";
      const n = b[o];
      const fragOffset = ((b[o + 2] << 8) | b[o + 3]) >> 3;
      if (fragOffset !== 0) {
        d.proto = n;
        return "fragment";
      }
      o += 8;
      next = n;
    } else if (next === 51) {
      if (b.length < o + 8) return "truncated";
      const n = b[o];
      o += (b[o + 1] + 2) * 4;
      next = n;
    } else break;
  }
  d.proto = next;
  return transport(b, o, d);
}

function transport(b: Uint8Array, o: number, d: Decoded): DecodeResult {
  d.sport = 0;
  d.dport = 0;
  d.tcpFlags = 0;
  d.icmpId = -1;
  switch (d.proto) {
    case 6:
      if (b.length < o + 14) return "truncated";
      d.sport = (b[o] << 8) | b[o + 1];
      d.dport = (b[o + 2] << 8) | b[o + 3];
      d.tcpFlags = b[o + 13];
      return "ok";
    case 17:
      if (b.length < o + 4) return "truncated";
      d.sport = (b[o] << 8) | b[o + 1];
      d.dport = (b[o + 2] << 8) | b[o + 3];
      return "ok";
    case 1:
    case 58: {
      if (b.length < o + 2) return "truncated";
      d.sport = b[o];
      d.dport = b[o + 1];
      const echo = d.proto === 1 ? d.sport === 8 || d.sport === 0 : d.sport === 128 || d.sport === 129;
      if (echo) {
        if (b.length < o + 6) return "truncated";
        d.icmpId = (b[o + 4] << 8) | b[o + 5];
      }
      return "ok";
    }
    default:
      return "ok";
  }
}
