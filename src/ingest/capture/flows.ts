/**
 * Bidirectional flow assembly from decoded packets, as Argus 3 does it (docs/capture-vs-argus.md has
 * the measured comparison).
 *
 * - Key: protocol, addresses and ports, in a canonical order so both directions find the same flow
 *   with one lookup; DNS over UDP (port 53) also the transaction id, so each query and its answer are a
 *   flow of their own even when queries share a source port. ICMPv4 request/reply pairs (echo, timestamp, info, mask): addresses and
 *   identifier; ICMPv4 errors: addresses, type, code and what the error refers to (Decoded.icmpDetail);
 *   other ICMPv4: type and code; ICMPv6: type (replies folded onto their request: 129 -> 128, ...) and
 *   code; ARP: the two IPv4 addresses; other protocols: addresses.
 * - Source: the sender of the first packet, except for answers: a TCP SYN+ACK, an ICMPv4 echo,
 *   timestamp, info or mask reply and an ARP reply make their receiver the source.
 * - A new TCP connection on the same ports (a SYN after a FIN or RST) starts a new flow; see
 *   tcp-state.ts for the exact rules (Argus's state machine).
 * - Records: a flow is reported in records of at most `activeTimeout` seconds: a packet that long or
 *   longer after the record's first packet starts the next record of the same flow. A flow without a
 *   packet for longer than `idleTimeout` ends.
 * - Argus's model instead (`statusInterval`, as argus -S): records of at most `statusInterval`
 *   seconds however idle; a flow is forgotten (its next packet starts a new flow) 60 s (TCP) or 30 s
 *   (others) after its record ended.
 * - Per record: packets, bytes (lengths on the wire, link header included, as Argus counts), TCP flags
 *   and inter-packet times and sizes per direction. Per flow: type of service and TTL of each side's
 *   first packet (null while a side has not sent).
 * - Dir (Argus's): TCP "->" when the flow began with a SYN or SYN+ACK (only ECE/CWR besides), else "<?>" (both sides sent in the
 *   record), "?>" (source only), "<?" (destination only); ARP "who"; others "<->", "->", "<-".
 * - State: TCP the flags each side sent in the record, Argus letters F S R P A U E C joined by "_"
 *   ("S_RA", "FSPA_FSPA"); UDP and other IP protocols CON (both sides), INT (the source only, first
 *   record), REQ (the source only, a later record), RSP (the destination only); ARP CON, INT, RSP;
 *   ICMP Argus's name of the first packet's type and code (ECO, ECR, URP, URH, TXD, RED, ...).
 * - Ports: TCP/UDP ports; ICMPv4 source port code << 8 | type (Argus prints 0x0303 for port
 *   unreachable), destination port the identifier of requests/replies, the refused port (port
 *   unreachable), protocol (protocol unreachable) or high 16 bits of the quoted destination address
 *   (net/host unreachable, redirect), else 0; ICMPv6 source port the type, destination port the code;
 *   ARP and other protocols none.
 * - extra: DstBytes, sTtl, dTtl, per direction the inter-packet time in milliseconds (SIntPkt mean,
 *   SIntPktMin, SIntPktMax, D* for the destination; with two packets or more from that side) and
 *   packet sizes sMinPktSz, sMaxPktSz, dMinPktSz, dMaxPktSz.
 * - Order: records come out in start-time order: ended records wait until no open record started
 *   earlier (and a second more, for packets slightly out of time order, as merged captures have).
 *
 * Storage is typed arrays (one row of numbers per flow, an open-addressing hash table of flow rows
 * keyed by a numeric hash of the key words), so a packet costs no allocation. With the capture kernel
 * (kernel.ts) they live in its memory, and the kernel adds the packets of flows the table holds
 * (wasm/capture.ts repeats this file's layout and that part of add(), the record roll-over included).
 */
import { IntIds } from "../../core/interner.ts";
import { emptyFlow, type Flow } from "../flows/record.ts";
import { type Decoded, ipv6, PROTO_ARP } from "./decode.ts";
import type { CaptureKernel } from "./kernel.ts";
import type { PacketRecord } from "./packets.ts";
import { FIN_WAIT_2, TcpStates } from "./tcp-state.ts";
import {
  type AsciiText,
  asciiText,
  type BinetflowEncoder,
  COMMA,
  putAscii,
  putDuration,
  putIpv4,
  putNumber,
  putPort,
  putText,
} from "./write.ts";

const NEWLINE = 10;

export interface FlowTableOptions {
  /** Seconds without a packet after which a flow ends (default 60). */
  idleTimeout?: number;
  /** Seconds after which a flow's record is cut and continued in a new one (default 3600). */
  activeTimeout?: number;
  /**
   * Argus's record model, as `argus -S statusInterval` (idleTimeout and activeTimeout are then not
   * used): records of at most this many seconds; a flow is forgotten ARGUS_TCP_TIMEOUT (TCP) or
   * ARGUS_IP_TIMEOUT (other protocols) seconds after its record ended, unless a packet comes first.
   */
  statusInterval?: number;
  /** Hand every record out in one reused Flow (and reused `extra` objects): the consumer copies what it keeps. */
  reuseRecord?: boolean;
  /**
   * Write every record's binetflow line into this encoder, straight from its row, instead of making a
   * Flow (onFlow is then not called): flows convert.
   */
  binetflow?: BinetflowEncoder;
}

/**
 * Takes a record as its row at rows[r] in the flow table's layout (valid only during the call);
 * `words` are the same bytes as 32-bit words.
 */
type RecordRowSink = (rows: Float64Array, r: number, words: Uint32Array) => void;

/** Seconds of time disorder in the input that flows still come out in start order despite. */
const REORDER_SLACK = 1;

/** Argus 3's idle timeouts (measured: argus -S 5 and -S 60 on generated captures). */
export const ARGUS_TCP_TIMEOUT = 60;
export const ARGUS_IP_TIMEOUT = 30;

// ---- key words ----
const KW = 11;
const K_META = 0;
const K_LO = 1;
const K_HI = 5;
const K_PORTS = 9;
const K_DETAIL = 10;

// ---- per-flow row (Float64Array, stride ROW) ----
// What a packet reads and writes comes first, the key's words inside the row (a Uint32Array view of
// the same bytes): finding a flow and updating it touch two or three cache lines, not five or six.
const F_HASH = 0;
/** Bits: SRC_IS_LO, SYN_START, REC_OPEN, LATER_RECORD. */
const F_BITS = 1;
/** The key's KW words, as 32-bit words from (r + F_KEY) * 2 (six numbers hold them). */
const F_KEY = 2;
const F_LAST = 8;
const F_REC_START = 9;
const F_REC_LAST = 10;
const F_STOS = 11;
const F_DTOS = 12;
const F_S = 13;
const F_D = 22;
/** End of the two sides' numbers (zeroed when a record opens). */
const F_SIDES_END = 31;
const F_PROTO = 31;
const F_IPV = 32;
const F_SPORT = 33;
const F_DPORT = 34;
/** ICMP: type | code << 8 of the first packet (after ICMPv6 folding); -1 otherwise. */
const F_ICMP = 35;
const F_STTL = 36;
const F_DTTL = 37;
/** When the flow was put in the activity list (its last packet then). */
const F_LISTED = 38;
const ROW = 39;
// per side, at F_S or F_D
const S_PKTS = 0;
const S_BYTES = 1;
const S_FLAGS = 2;
const S_LAST = 3;
const S_GAP_SUM = 4;
const S_GAP_MIN = 5;
const S_GAP_MAX = 6;
const S_MIN_SZ = 7;
const S_MAX_SZ = 8;

const SRC_IS_LO = 1;
const SYN_START = 2;
const REC_OPEN = 8;
const LATER_RECORD = 16;

// ---- list links (Int32Array, stride 4): activity list by last packet, record list by record start ----
const H_ACT_HEAD = 0;
const H_ACT_TAIL = 1;
const H_REC_HEAD = 2;
const H_REC_TAIL = 3;
/** Counts beside the heads: free rows (on the stack `free`), rows used at some time, flows in the table. */
const H_FREE = 4;
const H_USED = 5;
const H_LIVE = 6;
const HEADS = 8;
const L_ACT_PREV = 0;
const L_ACT_NEXT = 1;
const L_REC_PREV = 2;
const L_REC_NEXT = 3;

/** Argus's names of IP protocols; others print as their number. */
const ARGUS_PROTO_NAMES: Record<number, string> = {
  1: "icmp",
  2: "igmp",
  6: "tcp",
  17: "udp",
  41: "ipv6",
  47: "gre",
  50: "esp",
  51: "ah",
  58: "ipv6-icmp",
  89: "ospf",
  103: "pim",
  132: "sctp",
};
/** The same as a dense array (a sparse object's keys are a dictionary: a hash lookup per record). */
const PROTO_TEXT: string[] = Array.from({ length: 256 }, (_, i) => ARGUS_PROTO_NAMES[i] ?? String(i));

/** PROTO_TEXT as AsciiText, for binetflow lines written from rows. */
const PROTO_ASCII = PROTO_TEXT.map(asciiText);

function protoText(proto: number): string {
  if (proto >= 0 && proto < 256) return PROTO_TEXT[proto];
  return proto === PROTO_ARP ? "arp" : String(proto);
}

const FLAG_LETTERS = "FSRPAUEC";

/** TCP flags as Argus letters in Argus's order (FIN SYN RST PSH ACK URG ECE CWR). */
export function tcpFlagLetters(flags: number): string {
  let s = "";
  for (let i = 0; i < 8; i++) if (flags & (1 << i)) s += FLAG_LETTERS[i];
  return s;
}

/** "FSPA_FSA" for each pair of flag bytes, made once. */
const TCP_STATES = new Array<string>(65536);

function tcpState(src: number, dst: number): string {
  const i = src * 256 + dst;
  let s = TCP_STATES[i];
  if (s === undefined) {
    // one flat string (a template literal makes a tree that every read of its characters walks)
    s = [tcpFlagLetters(src), tcpFlagLetters(dst)].join("_");
    TCP_STATES[i] = s;
  }
  return s;
}

/** TCP_STATES as AsciiText, made once each. */
const TCP_STATE_ASCII = new Array<AsciiText>(65536);

function tcpStateAscii(src: number, dst: number): AsciiText {
  const i = src * 256 + dst;
  TCP_STATE_ASCII[i] ??= asciiText(tcpState(src, dst));
  return TCP_STATE_ASCII[i];
}

/** A record's direction: Argus's arrow for TCP (whether it saw the SYN) and other protocols. */
const DIRS = ["->", "<?>", "?>", "<?", "who", "<->", "->", "<-"];
/** As ra pads them. */
const DIR_ASCII = DIRS.map((d) => asciiText(d.padStart(5)));

function dirOf(proto: number, bits: number, sp: number, dp: number): number {
  const both = sp > 0 && dp > 0;
  if (proto === 6) return bits & SYN_START ? 0 : both ? 1 : sp > 0 ? 2 : 3;
  return proto === PROTO_ARP ? 4 : both ? 5 : sp > 0 ? 6 : 7;
}

/** The state of a record that is neither TCP nor ICMP. */
const PLAIN_STATES = ["CON", "REQ", "INT", "RSP"];
const PLAIN_STATE_ASCII = PLAIN_STATES.map(asciiText);

function plainStateOf(proto: number, bits: number, sp: number, dp: number): number {
  if (sp > 0 && dp > 0) return 0;
  if (sp > 0) return bits & LATER_RECORD && proto !== PROTO_ARP ? 1 : 2;
  return 3;
}

const UNREACHABLE = [
  "URN",
  "URH",
  "URO",
  "URP",
  "URF",
  "URS",
  "URNU",
  "URHU",
  "URISO",
  "URNPRO",
  "URHPRO",
  "URNTOS",
  "URHTOS",
  "URFIL",
  "URPRE",
  "URCUT",
];
const ICMP4_NAMES: Record<number, string> = {
  0: "ECR",
  4: "SRC",
  5: "RED",
  8: "ECO",
  9: "RTA",
  10: "RTS",
  11: "TXD",
  12: "PAR",
  13: "TST",
  14: "TSR",
  15: "IRQ",
  16: "IRR",
  17: "MAS",
  18: "MSR",
  19: "SEC",
  30: "TRC",
  40: "PHO",
};
const UNREACHABLE6 = ["URNR", "URAD", "URBS", "URAR", "URP", "URSF", "URRR", "URES"];
const ICMP6_NAMES: Record<number, string> = {
  2: "PTB",
  128: "ECO",
  130: "MRQ",
  133: "NRS",
  135: "NNS",
  137: "RED",
  143: "MHR",
};

/** Argus's state name of an ICMP message. */
export function icmpStateName(v6: boolean, type: number, code: number): string {
  if (v6) {
    if (type === 1) return UNREACHABLE6[code] ?? "UNK";
    if (type === 3) return code === 0 ? "TXT" : code === 1 ? "TXR" : "UNK";
    if (type === 4) return code === 0 ? "PPH" : code === 1 ? "PPNH" : code === 2 ? "PPO" : "UNK";
    return ICMP6_NAMES[type] ?? "UNK";
  }
  if (type === 3) return UNREACHABLE[code] ?? "UR";
  return ICMP4_NAMES[type] ?? String(type);
}

/** ICMPv6 replies and reports folded onto the message that asked for them, as Argus keys them. */
function foldIcmp6(type: number): number {
  if (type === 129) return 128;
  if (type === 131 || type === 132) return 130;
  if (type === 134) return 133;
  if (type === 136) return 135;
  return type;
}

/** TCP flags that tell a connection's opening: FIN, SYN, RST, PSH, ACK, URG (not ECE, CWR). */
const CONNECTION_FLAGS = 0x3f;

/** A SYN or SYN+ACK and nothing else of CONNECTION_FLAGS: the first or second packet of a connection. */
function opensConnection(flags: number): boolean {
  const f = flags & CONNECTION_FLAGS;
  return f === 2 || f === 0x12;
}

/** ICMPv4 types that answer a request (their receiver is the flow's source). */
function icmp4Reply(type: number): boolean {
  return type === 0 || type === 14 || type === 16 || type === 18;
}

function icmp4Pair(type: number): boolean {
  return type === 8 || type === 0 || (type >= 13 && type <= 18);
}

/**
 * Ended records waiting for their turn (start order), as copies of their rows (keys inside): objects that
 * waited long would be copied by every young-generation collection; these become Flow objects only
 * when they are handed out.
 */
class EndedRecords {
  rows: Float64Array;
  /** The rows' key words. */
  words: Uint32Array;
  /**
   * Min-heap of slots by record start, the starts kept beside the slots: sifting compares within two
   * small arrays instead of reaching into 312-byte rows (tens of thousands may wait behind a long flow).
   */
  private heap = new Int32Array(256);
  private heapStart = new Float64Array(256);
  private free: number[] = [];
  private used = 0;
  size = 0;

  /** With a kernel, the rows live in its memory (its binetflow writer reads them there). */
  constructor(private readonly kernel?: CaptureKernel) {
    this.rows = this.newRows(256);
    this.words = wordsOf(this.rows);
  }

  private newRows(n: number): Float64Array {
    return this.kernel ? this.kernel.f64(n * ROW) : new Float64Array(n * ROW);
  }

  /** Copies row r of `rows` in. */
  push(rows: Float64Array, r: number): void {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used * ROW >= this.rows.length) this.grow();
      slot = this.used++;
    }
    const a = this.rows;
    const o = slot * ROW;
    for (let j = 0; j < ROW; j++) a[o + j] = rows[r + j];
    const start = a[o + F_REC_START];
    const h = this.heap;
    const hs = this.heapStart;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (hs[p] <= start) break;
      h[i] = h[p];
      hs[i] = hs[p];
      i = p;
    }
    h[i] = slot;
    hs[i] = start;
  }

  /** Start of the earliest record (Infinity when empty). */
  firstStart(): number {
    return this.size ? this.heapStart[0] : Number.POSITIVE_INFINITY;
  }

  /** Takes the earliest record out: its slot, valid until the next push. */
  pop(): number {
    const h = this.heap;
    const hs = this.heapStart;
    const top = h[0];
    const n = --this.size;
    const last = h[n];
    const start = hs[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && hs[r] < hs[l] ? r : l;
      if (hs[c] >= start) break;
      h[i] = h[c];
      hs[i] = hs[c];
      i = c;
    }
    h[i] = last;
    hs[i] = start;
    this.free.push(top);
    return top;
  }

  private grow(): void {
    const n = this.heap.length * 2;
    const rows = this.newRows(n);
    rows.set(this.rows);
    this.rows = rows;
    this.words = wordsOf(rows);
    const heap = new Int32Array(n);
    heap.set(this.heap);
    this.heap = heap;
    const heapStart = new Float64Array(n);
    heapStart.set(this.heapStart);
    this.heapStart = heapStart;
  }
}

function wordsOf(a: Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** Fragments seen recently: first fragments' ports by (addresses, protocol, IP id). */
interface FragmentPorts {
  sport: number;
  dport: number;
  ts: number;
}

export class FlowTable {
  /** Argus's record model (statusInterval given). */
  private readonly argus: boolean;
  /** Seconds without a packet after which a flow is forgotten (Argus model: at the latest). */
  private readonly idle: number;
  /** Longest record. */
  private readonly interval: number;
  // flow rows
  private cap = 0;
  private rows: Float64Array = new Float64Array(0);
  /** The rows' bytes as 32-bit words (the keys). */
  private words: Uint32Array = new Uint32Array(0);
  private links: Int32Array = new Int32Array(0);
  /** Stack of free rows (heads[H_FREE] of them; the lowest on top). */
  private free: Int32Array = new Int32Array(0);
  /** Rows in the hash table (the others are free). Rows below heads[H_USED] were used at some time. */
  private inTable: Uint8Array = new Uint8Array(0);
  // hash table of row numbers
  private slots: Int32Array = new Int32Array(0);
  private mask = 0;
  /**
   * The lists' heads and tails and the counts (H_*; in the kernel's memory with one: it rolls records
   * over and adds new flows too).
   */
  private readonly heads: Int32Array;
  private readonly ended: EndedRecords;
  private readonly fragments = new Map<string, FragmentPorts>();
  private readonly tcp = new TcpStates();
  private now = Number.NEGATIVE_INFINITY;
  private nextExpire = Number.NEGATIVE_INFINITY;
  /** Scratch key of the current packet. */
  private readonly key = new Uint32Array(KW);
  private readonly maker: FlowMaker;
  private readonly binetflow: BinetflowEncoder | undefined;
  /** Takes each record's row instead of onFlow (binetflow given). */
  private readonly sink: RecordRowSink | undefined;
  /** The current packet's two endpoints are the same (its direction cannot be told). */
  private sameEnds = false;
  /** Records handed to the consumer. */
  flows = 0;

  /**
   * With a kernel, the table's arrays live in its memory and the kernel adds the packets where only
   * counters change (addPlain).
   */
  constructor(
    private readonly onFlow: (f: Flow) => void,
    opts: FlowTableOptions = {},
    private readonly kernel?: CaptureKernel,
  ) {
    this.argus = opts.statusInterval !== undefined;
    this.interval = opts.statusInterval ?? opts.activeTimeout ?? 3600;
    this.idle = this.argus ? this.interval + ARGUS_TCP_TIMEOUT : (opts.idleTimeout ?? 60);
    this.maker = new FlowMaker(opts.reuseRecord === true);
    this.ended = new EndedRecords(kernel);
    this.binetflow = opts.binetflow;
    this.sink = opts.binetflow && this.binetflowWriter(opts.binetflow);
    this.heads = (kernel ? kernel.i32(HEADS) : new Int32Array(HEADS)).fill(-1);
    this.heads[H_FREE] = 0;
    this.heads[H_USED] = 0;
    this.heads[H_LIVE] = 0;
    this.grow(1024);
  }

  /** Number of flows still open. */
  get openFlows(): number {
    return this.heads[H_LIVE];
  }

  /** Adds one packet, decoded into `d` (whose offsets point into p.buf). */
  add(p: PacketRecord, d: Decoded): void {
    // fields read here, not passed: a double argument to a call that is not inlined costs an allocation
    const ts = p.ts;
    const b = p.buf;
    const wireLen = p.origLen;
    if (ts > this.now) {
      this.now = ts;
      // ending idle flows and full records and handing records out can wait a second of capture time
      // (a packet of a flow that should have ended ends it itself); every hundredth of a second, this
      // took 6-10% of a run
      if (ts >= this.nextExpire) {
        this.nextExpire = ts + 1;
        this.expire();
      }
    }
    if (d.fragment !== 0) this.fragmentPorts(ts, b, d);
    const senderIsLo = this.makeKey(b, d);
    const hash = hashKey(this.key, d.ipVersion === 6);
    let f = this.find(hash);
    if (f >= 0) {
      const rows = this.rows;
      const r = f * ROW;
      // as expire() would have ended it by now, or (Argus) forgotten since its record ended
      if (ts - rows[r + F_LAST] > this.idle || (this.argus && this.forgotten(f, ts))) {
        this.endFlow(f);
        f = -1;
      } else if (d.proto === 6) {
        const fromSrc = ((rows[r + F_BITS] & SRC_IS_LO) !== 0) === senderIsLo || this.sameEnds;
        // a new connection reusing the ports of one that closed (Argus lets a SYN after an acknowledged
        // FIN join the old record; botscope's own model starts a new flow there too)
        const reopened =
          this.tcp.packet(f, fromSrc ? 0 : 1, d) ||
          (!this.argus && d.tcpFlags === 2 && this.tcp.state(f) === FIN_WAIT_2);
        if (reopened) {
          // Argus ends the old record at the new SYN's time (its duration runs up to it)
          if (this.argus && rows[r + F_BITS] & REC_OPEN && ts > rows[r + F_REC_LAST])
            rows[r + F_REC_LAST] = ts;
          this.endFlow(f);
          f = -1;
        }
      }
    }
    if (f < 0) f = this.newFlow(hash, senderIsLo, d, ts);
    // after newFlow: it may have grown the arrays
    const rows = this.rows;
    const r = f * ROW;
    let bits = rows[r + F_BITS];
    const fromSrc = ((bits & SRC_IS_LO) !== 0) === senderIsLo || this.sameEnds;
    if (bits & REC_OPEN) {
      if (ts - rows[r + F_REC_START] >= this.interval) {
        this.closeRecord(f);
        bits = rows[r + F_BITS];
        this.openRecord(f, ts);
      }
    } else this.openRecord(f, ts);
    if (fromSrc) {
      if (rows[r + F_STOS] < 0) {
        rows[r + F_STOS] = d.tos;
        rows[r + F_STTL] = d.ttl;
      }
    } else if (rows[r + F_DTOS] < 0) {
      rows[r + F_DTOS] = d.tos;
      rows[r + F_DTTL] = d.ttl;
    }
    const s = r + (fromSrc ? F_S : F_D);
    const n = rows[s + S_PKTS];
    if (n === 0) {
      rows[s + S_MIN_SZ] = wireLen;
      rows[s + S_MAX_SZ] = wireLen;
    } else {
      const gap = ts > rows[s + S_LAST] ? ts - rows[s + S_LAST] : 0;
      rows[s + S_GAP_SUM] += gap;
      if (n === 1 || gap < rows[s + S_GAP_MIN]) rows[s + S_GAP_MIN] = gap;
      if (gap > rows[s + S_GAP_MAX]) rows[s + S_GAP_MAX] = gap;
      if (wireLen < rows[s + S_MIN_SZ]) rows[s + S_MIN_SZ] = wireLen;
      if (wireLen > rows[s + S_MAX_SZ]) rows[s + S_MAX_SZ] = wireLen;
    }
    rows[s + S_PKTS] = n + 1;
    rows[s + S_BYTES] += wireLen;
    rows[s + S_FLAGS] |= d.tcpFlags;
    rows[s + S_LAST] = ts;
    if (ts > rows[r + F_REC_LAST]) rows[r + F_REC_LAST] = ts;
    if (ts > rows[r + F_LAST]) rows[r + F_LAST] = ts;
  }

  /**
   * The kernel adds the plain records of b[p, end) (b a view of its memory; see CaptureKernel.scan) and
   * returns where it stopped.
   */
  addPlain(b: Uint8Array, p: number, end: number, lastTs: number, units: number, snap: number): number {
    const k = this.kernel as CaptureKernel;
    const q = k.scan(b, p, end, lastTs, this.now, this.nextExpire, units, snap);
    this.now = k.now;
    // records the kernel rolled over, in order, each with the watermark at its end
    const rows = k.closedRows;
    const wm = k.closedWatermarks;
    for (let i = 0; i < k.closed; i++) this.recordEnded(rows, i * ROW, k.closedWords, wm[i]);
    return q;
  }

  /** Ends every flow and hands out all records that are left, in start-time order. */
  finish(): void {
    while (this.heads[H_ACT_HEAD] >= 0) this.endFlow(this.heads[H_ACT_HEAD]);
    while (this.ended.size) this.emit();
    this.fragments.clear();
    // the lines not taken yet leave the kernel's memory
    if (this.kernel) this.binetflow?.place();
  }

  /**
   * Writes each record's binetflow line from its row: the kernel writes the common ones (its memory
   * holds the rows and, placed there, the encoder's buffer), FlowMaker.binetflow the others.
   */
  private binetflowWriter(enc: BinetflowEncoder): RecordRowSink {
    const maker = this.maker;
    const k = this.kernel;
    if (!k) return (rows, r, words) => maker.binetflow(rows, r, words, enc);
    enc.place((n) => k.bytes(n));
    return (rows, r, words) => {
      enc.reserve(128);
      const end = k.line(rows, r, enc.buf, enc.pos);
      if (end >= 0) enc.pos = end;
      else maker.binetflow(rows, r, words, enc);
    };
  }

  /**
   * Argus model: whether flow f was forgotten before `ts`: its record ended (or was due to end: this
   * does not depend on when expire() last ran), then a timeout passed (Argus compares whole seconds).
   */
  private forgotten(f: number, ts: number): boolean {
    const r = f * ROW;
    const start = this.rows[r + F_REC_START];
    if (this.rows[r + F_BITS] & REC_OPEN && ts - start < this.interval) return false;
    const timeout = this.rows[r + F_PROTO] === 6 ? ARGUS_TCP_TIMEOUT : ARGUS_IP_TIMEOUT;
    return Math.floor(ts) - Math.floor(start) > this.interval + timeout;
  }

  // ---- keys ----

  /** Builds the packet's canonical key in this.key; returns whether the sender is the low endpoint. */
  private makeKey(b: Uint8Array, d: Decoded): boolean {
    const k = this.key;
    const v6 = d.ipVersion === 6;
    k[K_META] = d.proto | (d.ipVersion << 12);
    const s0 = word(b, d.src);
    const t0 = word(b, d.dst);
    // compare the endpoints: addresses, then ports
    let cmp = s0 < t0 ? -1 : s0 > t0 ? 1 : 0;
    if (v6) {
      for (let i = 4; cmp === 0 && i < 16; i += 4) {
        const x = word(b, d.src + i);
        const y = word(b, d.dst + i);
        cmp = x < y ? -1 : x > y ? 1 : 0;
      }
    }
    const ports = d.proto === 6 || d.proto === 17;
    if (cmp === 0 && ports) cmp = d.sport < d.dport ? -1 : d.sport > d.dport ? 1 : 0;
    const senderIsLo = cmp <= 0;
    this.sameEnds = cmp === 0;
    const lo = senderIsLo ? d.src : d.dst;
    const hi = senderIsLo ? d.dst : d.src;
    if (v6) {
      for (let i = 0; i < 4; i++) {
        k[K_LO + i] = word(b, lo + 4 * i);
        k[K_HI + i] = word(b, hi + 4 * i);
      }
    } else {
      k[K_LO] = senderIsLo ? s0 : t0;
      k[K_HI] = senderIsLo ? t0 : s0;
      k[K_LO + 1] = k[K_LO + 2] = k[K_LO + 3] = 0;
      k[K_HI + 1] = k[K_HI + 2] = k[K_HI + 3] = 0;
    }
    let p = 0;
    let detail = 0;
    if (ports) {
      p = senderIsLo ? ((d.sport << 16) | d.dport) >>> 0 : ((d.dport << 16) | d.sport) >>> 0;
      if (d.dnsId >= 0) detail = 0x10000 | d.dnsId;
    } else if (d.proto === 1 && d.icmpType >= 0) {
      if (icmp4Pair(d.icmpType)) p = 0x10000 | Math.max(0, d.icmpId);
      else {
        p = d.icmpType | (d.icmpCode << 8);
        detail = d.icmpDetail;
      }
    } else if (d.proto === 58 && d.icmpType >= 0) p = foldIcmp6(d.icmpType) | (d.icmpCode << 8);
    k[K_PORTS] = p;
    k[K_DETAIL] = detail;
    return senderIsLo;
  }

  /** Non-first fragments take the ports of their first fragment when it was seen. */
  private fragmentPorts(ts: number, b: Uint8Array, d: Decoded): void {
    const len = d.ipVersion === 6 ? 16 : 4;
    let id = `${d.proto}|${d.ipId}`;
    for (let i = 0; i < len; i++) id += `,${b[d.src + i]}`;
    for (let i = 0; i < len; i++) id += `.${b[d.dst + i]}`;
    if (d.fragment === 1) {
      if (d.hasPorts) {
        if (this.fragments.size >= 65536) this.dropOldFragments(ts);
        this.fragments.set(id, { sport: d.sport, dport: d.dport, ts });
      }
      return;
    }
    const first = this.fragments.get(id);
    if (first) {
      d.sport = first.sport;
      d.dport = first.dport;
    }
  }

  private dropOldFragments(ts: number): void {
    for (const [k, v] of this.fragments) if (ts - v.ts > 30) this.fragments.delete(k);
    if (this.fragments.size >= 65536) this.fragments.clear();
  }

  // ---- hash table ----

  private find(hash: number): number {
    const slots = this.slots;
    const keys = this.words;
    const rows = this.rows;
    const k = this.key;
    const lo = k[K_LO];
    const hi = k[K_HI];
    const ports = k[K_PORTS];
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const f = slots[i];
      if (f < 0) return -1;
      if (rows[f * ROW + F_HASH] !== hash) continue;
      const o = (f * ROW + F_KEY) * 2;
      if (keys[o + K_LO] !== lo || keys[o + K_HI] !== hi || keys[o + K_PORTS] !== ports) continue;
      if (keys[o + K_META] !== k[K_META] || keys[o + K_DETAIL] !== k[K_DETAIL]) continue;
      // IPv4 keys (the version is in K_META) have no more address words
      if (k[K_META] >>> 12 !== 6) return f;
      let j = 1;
      while (j < 4 && keys[o + K_LO + j] === k[K_LO + j] && keys[o + K_HI + j] === k[K_HI + j]) j++;
      if (j === 4) return f;
    }
  }

  private insertSlot(f: number, hash: number): void {
    const slots = this.slots;
    let i = hash & this.mask;
    while (slots[i] >= 0) i = (i + 1) & this.mask;
    slots[i] = f;
  }

  /** Removes row f from the hash table, shifting later entries of its probe run back. */
  private removeSlot(f: number): void {
    const slots = this.slots;
    const rows = this.rows;
    const mask = this.mask;
    let i = rows[f * ROW + F_HASH] & mask;
    while (slots[i] !== f) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const g = slots[j];
      if (g < 0) break;
      const home = rows[g * ROW + F_HASH] & mask;
      // g may move to i when its home is not in the cyclic range (i, j]
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        slots[i] = g;
        i = j;
      }
    }
    slots[i] = -1;
  }

  private grow(cap: number): void {
    const k = this.kernel;
    const f64 = (n: number) => (k ? k.f64(n) : new Float64Array(n));
    const rows = f64(cap * ROW);
    rows.set(this.rows);
    this.tcp.grow(cap, f64);
    const links = k ? k.i32(cap * 4) : new Int32Array(cap * 4);
    links.set(this.links);
    const h = this.heads;
    const free = k ? k.i32(cap) : new Int32Array(cap);
    free.set(this.free.subarray(0, h[H_FREE]));
    for (let f = cap - 1; f >= this.cap; f--) free[h[H_FREE]++] = f;
    this.free = free;
    this.rows = rows;
    this.words = new Uint32Array(rows.buffer, rows.byteOffset, rows.length * 2);
    this.links = links;
    this.cap = cap;
    let size = 16;
    while (size < cap * 2) size *= 2;
    this.slots = (k ? k.i32(size) : new Int32Array(size)).fill(-1);
    this.mask = size - 1;
    for (let f = 0; f < h[H_USED]; f++) if (this.inTable[f]) this.insertSlot(f, rows[f * ROW + F_HASH]);
    const inTable = k ? k.bytes(cap) : new Uint8Array(cap);
    inTable.set(this.inTable);
    this.inTable = inTable;
    k?.setTable({
      row: ROW,
      rows,
      slots: this.slots,
      mask: this.mask,
      tcp: this.tcp.array,
      links,
      free,
      inTable,
      heads: this.heads,
      idle: this.idle,
      interval: this.interval,
      argus: this.argus,
    });
  }

  // ---- flows and records ----

  private newFlow(hash: number, senderIsLo: boolean, d: Decoded, ts: number): number {
    const h = this.heads;
    if (h[H_FREE] === 0) this.grow(this.cap * 2);
    const f = this.free[--h[H_FREE]];
    if (f >= h[H_USED]) h[H_USED] = f + 1;
    this.inTable[f] = 1;
    h[H_LIVE]++;
    const rows = this.rows;
    const r = f * ROW;
    rows.fill(0, r, r + ROW);
    this.words.set(this.key, (r + F_KEY) * 2);
    this.insertSlot(f, hash);
    rows[r + F_HASH] = hash;
    rows[r + F_PROTO] = d.proto;
    rows[r + F_IPV] = d.ipVersion;
    // answers make their receiver the source
    let answer = false;
    if (d.proto === 6) answer = (d.tcpFlags & CONNECTION_FLAGS) === 0x12;
    else if (d.proto === 1) answer = d.icmpType >= 0 && icmp4Reply(d.icmpType);
    else if (d.proto === PROTO_ARP) answer = d.icmpType === 2;
    const srcIsLo = senderIsLo !== answer;
    let bits = srcIsLo ? SRC_IS_LO : 0;
    if (d.proto === 6) {
      if (opensConnection(d.tcpFlags)) bits |= SYN_START;
      this.tcp.start(f, answer ? 1 : 0, d);
    }
    rows[r + F_BITS] = bits;
    rows[r + F_STOS] = -1;
    rows[r + F_DTOS] = -1;
    rows[r + F_STTL] = -1;
    rows[r + F_DTTL] = -1;
    rows[r + F_LAST] = ts;
    rows[r + F_ICMP] = -1;
    // ports as Argus prints them, in the flow's orientation
    if (d.proto === 6 || d.proto === 17) {
      const fromSrc = !answer;
      rows[r + F_SPORT] = fromSrc ? d.sport : d.dport;
      rows[r + F_DPORT] = fromSrc ? d.dport : d.sport;
    } else if (d.proto === 1 && d.icmpType >= 0) {
      const t = d.icmpType;
      const c = d.icmpCode;
      rows[r + F_ICMP] = t | (c << 8);
      rows[r + F_SPORT] = t | (c << 8);
      let dport = 0;
      if (icmp4Pair(t)) dport = Math.max(0, d.icmpId);
      else if (t === 5 || (t === 3 && (c === 0 || c === 1))) dport = d.icmpDetail >>> 16;
      else if (t === 3 && (c === 2 || c === 3)) dport = d.icmpDetail;
      rows[r + F_DPORT] = dport;
    } else if (d.proto === 58 && d.icmpType >= 0) {
      const t = foldIcmp6(d.icmpType);
      rows[r + F_ICMP] = t | (d.icmpCode << 8);
      rows[r + F_SPORT] = t;
      rows[r + F_DPORT] = d.icmpCode;
    }
    this.linkActivity(f, ts);
    return f;
  }

  private openRecord(f: number, ts: number): void {
    const rows = this.rows;
    const r = f * ROW;
    rows[r + F_BITS] |= REC_OPEN;
    rows[r + F_REC_START] = ts;
    rows[r + F_REC_LAST] = ts;
    for (let i = r + F_S; i < r + F_SIDES_END; i++) rows[i] = 0;
    this.linkRecord(f, ts);
  }

  /** Ends the open record of flow f (the flow stays, its next packet opens a later record). */
  private closeRecord(f: number): void {
    const rows = this.rows;
    const r = f * ROW;
    if (!(rows[r + F_BITS] & REC_OPEN)) return;
    this.unlinkRecord(f);
    this.recordEnded(rows, r, this.words, this.watermark());
    rows[r + F_BITS] = (rows[r + F_BITS] & ~REC_OPEN) | LATER_RECORD;
  }

  /** A record ended (its row at rows[r]); `watermark` is watermark() at its end. */
  private recordEnded(rows: Float64Array, r: number, words: Uint32Array, watermark: number): void {
    const start = rows[r + F_REC_START];
    if (start <= watermark) {
      // no open record started earlier: out now, after the waiting ones that started before it
      while (this.ended.size && this.ended.firstStart() <= start) this.emit();
      this.flows++;
      if (this.sink) this.sink(rows, r, words);
      else this.onFlow(this.maker.make(rows, r, words));
    } else this.ended.push(rows, r);
  }

  /** Ends flow f: its open record is reported, the row freed. */
  private endFlow(f: number): void {
    this.closeRecord(f);
    this.unlinkActivity(f);
    this.removeSlot(f);
    this.inTable[f] = 0;
    const h = this.heads;
    h[H_LIVE]--;
    this.free[h[H_FREE]++] = f;
  }

  /** Ends idle flows and full records; hands out ended records no open record precedes. */
  private expire(): void {
    const rows = this.rows;
    const now = this.now;
    // the activity list is ordered by the time a flow was (re)listed; a flow that had packets since
    // is listed again instead of ending (no list work per packet)
    while (this.heads[H_ACT_HEAD] >= 0 && now - rows[this.heads[H_ACT_HEAD] * ROW + F_LISTED] > this.idle) {
      const f = this.heads[H_ACT_HEAD];
      if (now - rows[f * ROW + F_LAST] > this.idle) this.endFlow(f);
      else {
        // listed again as of now (the tail: no walk); it ends at most one idle period late
        this.unlinkActivity(f);
        this.linkActivity(f, now);
      }
    }
    while (
      this.heads[H_REC_HEAD] >= 0 &&
      now - rows[this.heads[H_REC_HEAD] * ROW + F_REC_START] >= this.interval
    )
      this.closeRecord(this.heads[H_REC_HEAD]);
    if (this.ended.size === 0) return;
    const watermark = this.watermark();
    while (this.ended.size && this.ended.firstStart() <= watermark) this.emit();
  }

  /**
   * Records starting no later than this can go out: no open record started earlier, and a packet
   * arriving up to REORDER_SLACK seconds out of time order would not start one earlier either.
   */
  private watermark(): number {
    const open =
      this.heads[H_REC_HEAD] >= 0
        ? this.rows[this.heads[H_REC_HEAD] * ROW + F_REC_START]
        : Number.POSITIVE_INFINITY;
    return Math.min(open, this.now - REORDER_SLACK);
  }

  private emit(): void {
    const slot = this.ended.pop();
    this.flows++;
    if (this.sink) this.sink(this.ended.rows, slot * ROW, this.ended.words);
    else this.onFlow(this.maker.make(this.ended.rows, slot * ROW, this.ended.words));
  }

  // ---- lists (doubly linked through this.links; kept sorted by inserting from the tail) ----

  private linkActivity(f: number, ts: number): void {
    const L = this.links;
    const rows = this.rows;
    rows[f * ROW + F_LISTED] = ts;
    let after = this.heads[H_ACT_TAIL];
    while (after >= 0 && rows[after * ROW + F_LISTED] > ts) after = L[after * 4 + L_ACT_PREV];
    const next = after >= 0 ? L[after * 4 + L_ACT_NEXT] : this.heads[H_ACT_HEAD];
    L[f * 4 + L_ACT_PREV] = after;
    L[f * 4 + L_ACT_NEXT] = next;
    if (after >= 0) L[after * 4 + L_ACT_NEXT] = f;
    else this.heads[H_ACT_HEAD] = f;
    if (next >= 0) L[next * 4 + L_ACT_PREV] = f;
    else this.heads[H_ACT_TAIL] = f;
  }

  private unlinkActivity(f: number): void {
    const L = this.links;
    const prev = L[f * 4 + L_ACT_PREV];
    const next = L[f * 4 + L_ACT_NEXT];
    if (prev >= 0) L[prev * 4 + L_ACT_NEXT] = next;
    else this.heads[H_ACT_HEAD] = next;
    if (next >= 0) L[next * 4 + L_ACT_PREV] = prev;
    else this.heads[H_ACT_TAIL] = prev;
  }

  private linkRecord(f: number, ts: number): void {
    const L = this.links;
    const rows = this.rows;
    let after = this.heads[H_REC_TAIL];
    while (after >= 0 && rows[after * ROW + F_REC_START] > ts) after = L[after * 4 + L_REC_PREV];
    const next = after >= 0 ? L[after * 4 + L_REC_NEXT] : this.heads[H_REC_HEAD];
    L[f * 4 + L_REC_PREV] = after;
    L[f * 4 + L_REC_NEXT] = next;
    if (after >= 0) L[after * 4 + L_REC_NEXT] = f;
    else this.heads[H_REC_HEAD] = f;
    if (next >= 0) L[next * 4 + L_REC_PREV] = f;
    else this.heads[H_REC_TAIL] = f;
  }

  private unlinkRecord(f: number): void {
    const L = this.links;
    const prev = L[f * 4 + L_REC_PREV];
    const next = L[f * 4 + L_REC_NEXT];
    if (prev >= 0) L[prev * 4 + L_REC_NEXT] = next;
    else this.heads[H_REC_HEAD] = next;
    if (next >= 0) L[next * 4 + L_REC_PREV] = prev;
    else this.heads[H_REC_TAIL] = prev;
  }
}

/**
 * Texts of IPv4 addresses already written: a capture's records name the same hosts over and over.
 * Cleared when it grows past a million (a scan of a large range), so memory stays bounded.
 */
let v4Ids = new IntIds();
let v4Texts: string[] = [];

/** IPv4 or IPv6 text of the address in key words keys[o, o + 4). */
function address(keys: Uint32Array, o: number, v6: boolean, scratch: Uint8Array): string {
  if (!v6) {
    const w = keys[o];
    const id = v4Ids.get(w | 0);
    if (id >= 0) return v4Texts[id];
    if (v4Texts.length >= 1 << 20) {
      v4Ids = new IntIds();
      v4Texts = [];
    }
    // one flat string (a template literal makes a tree that every later join walks)
    const text = [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255].join(".");
    v4Ids.set(w | 0, v4Texts.length);
    v4Texts.push(text);
    return text;
  }
  for (let i = 0; i < 4; i++) {
    const w = keys[o + i];
    scratch[4 * i] = w >>> 24;
    scratch[4 * i + 1] = (w >>> 16) & 255;
    scratch[4 * i + 2] = (w >>> 8) & 255;
    scratch[4 * i + 3] = w & 255;
  }
  return ipv6(scratch, 0);
}

/**
 * Records made into flows: new objects each, or one reused Flow (reuseRecord: the consumer copies what
 * it keeps) whose `extra` is one reused object per set of fields present, so its shape never changes.
 */
class FlowMaker {
  private readonly into: Flow | null;
  private readonly extras: (Record<string, number> | undefined)[] = [];
  /** Scratch for IPv6 addresses. */
  private readonly addr16 = new Uint8Array(16);

  constructor(reuse: boolean) {
    this.into = reuse ? emptyFlow() : null;
  }

  /** The Flow of a record: its row at rows[r]; `words` are the rows' bytes as 32-bit words. */
  make(rows: Float64Array, r: number, words: Uint32Array): Flow {
    const k = (r + F_KEY) * 2;
    const proto = rows[r + F_PROTO];
    const bits = rows[r + F_BITS];
    const sp = rows[r + F_S + S_PKTS];
    const dp = rows[r + F_D + S_PKTS];
    const dir = DIRS[dirOf(proto, bits, sp, dp)];
    const icmp = rows[r + F_ICMP];
    let state: string;
    if (proto === 6) state = tcpState(rows[r + F_S + S_FLAGS], rows[r + F_D + S_FLAGS]);
    else if (icmp >= 0) state = icmpStateName(proto === 58, icmp & 255, icmp >> 8);
    else state = PLAIN_STATES[plainStateOf(proto, bits, sp, dp)];
    const ports = proto === 6 || proto === 17 || icmp >= 0;
    const srcIsLo = (bits & SRC_IS_LO) !== 0;
    const v6 = rows[r + F_IPV] === 6;
    const arp = proto === PROTO_ARP;
    const sTos = arp ? -1 : rows[r + F_STOS];
    const dTos = arp ? -1 : rows[r + F_DTOS];
    const shape = (sTos >= 0 ? 1 : 0) | (dTos >= 0 ? 2 : 0) | (Math.min(sp, 2) << 2) | (Math.min(dp, 2) << 4);
    let extra: Record<string, number>;
    if (this.into === null) extra = EXTRA_SHAPES[shape].make(rows, r);
    else {
      extra = this.extras[shape] ??= EXTRA_SHAPES[shape].make(rows, r);
      EXTRA_SHAPES[shape].fill(extra, rows, r);
    }
    const start = rows[r + F_REC_START];
    const duration = rows[r + F_REC_LAST] - start;
    const protoName = protoText(proto);
    const srcAddr = address(words, k + (srcIsLo ? K_LO : K_HI), v6, this.addr16);
    const srcPort = ports ? rows[r + F_SPORT] : null;
    const dstAddr = address(words, k + (srcIsLo ? K_HI : K_LO), v6, this.addr16);
    const dstPort = ports ? rows[r + F_DPORT] : null;
    const srcBytes = rows[r + F_S + S_BYTES];
    const totBytes = srcBytes + rows[r + F_D + S_BYTES];
    const f = this.into;
    // a new record is one object literal (allocated and filled at once, in Flow's field order)
    if (f === null)
      return {
        start,
        duration,
        proto: protoName,
        srcAddr,
        srcPort,
        dir,
        dstAddr,
        dstPort,
        state,
        sTos: sTos >= 0 ? sTos : null,
        dTos: dTos >= 0 ? dTos : null,
        totPkts: sp + dp,
        totBytes,
        srcBytes,
        srcPkts: sp,
        dstPkts: dp,
        label: null,
        extra,
      };
    f.start = start;
    f.duration = duration;
    f.proto = protoName;
    f.srcAddr = srcAddr;
    f.srcPort = srcPort;
    f.dir = dir;
    f.dstAddr = dstAddr;
    f.dstPort = dstPort;
    f.state = state;
    f.sTos = sTos >= 0 ? sTos : null;
    f.dTos = dTos >= 0 ? dTos : null;
    f.totPkts = sp + dp;
    f.totBytes = totBytes;
    f.srcBytes = srcBytes;
    f.srcPkts = sp;
    f.dstPkts = dp;
    f.label = null;
    f.extra = extra;
    return f;
  }

  /**
   * Writes the binetflow line of the record at rows[r], byte for byte as enc.line(this.make(...))
   * writes it, without making the Flow and its strings (flows convert: half a million records at -S 5).
   */
  binetflow(rows: Float64Array, r: number, words: Uint32Array, enc: BinetflowEncoder): void {
    const k = (r + F_KEY) * 2;
    const proto = rows[r + F_PROTO];
    const bits = rows[r + F_BITS];
    const sp = rows[r + F_S + S_PKTS];
    const dp = rows[r + F_D + S_PKTS];
    const srcIsLo = (bits & SRC_IS_LO) !== 0;
    const v6 = rows[r + F_IPV] === 6;
    const arp = proto === PROTO_ARP;
    const icmp = rows[r + F_ICMP];
    const ports = proto === 6 || proto === 17 || icmp >= 0;
    const start = rows[r + F_REC_START];
    // text fields: two IPv6 addresses (39 characters each), a protocol name, a state
    enc.reserve(128);
    const b = enc.buf;
    const v = enc.view;
    let p = enc.putTime(enc.pos, start);
    b[p++] = COMMA;
    p = putDuration(b, v, p, rows[r + F_REC_LAST] - start);
    b[p++] = COMMA;
    p = proto >= 0 && proto < 256 ? putAscii(v, p, PROTO_ASCII[proto]) : putText(b, p, protoText(proto));
    b[p++] = COMMA;
    p = this.putAddress(b, v, p, words, k + (srcIsLo ? K_LO : K_HI), v6);
    b[p++] = COMMA;
    if (ports) p = putPort(b, v, p, proto === 1, rows[r + F_SPORT]);
    b[p++] = COMMA;
    p = putAscii(v, p, DIR_ASCII[dirOf(proto, bits, sp, dp)]);
    b[p++] = COMMA;
    p = this.putAddress(b, v, p, words, k + (srcIsLo ? K_HI : K_LO), v6);
    b[p++] = COMMA;
    if (ports) p = putPort(b, v, p, proto === 1, rows[r + F_DPORT]);
    b[p++] = COMMA;
    if (proto === 6) p = putAscii(v, p, tcpStateAscii(rows[r + F_S + S_FLAGS], rows[r + F_D + S_FLAGS]));
    else if (icmp >= 0) p = putText(b, p, icmpStateName(proto === 58, icmp & 255, icmp >> 8));
    else p = putAscii(v, p, PLAIN_STATE_ASCII[plainStateOf(proto, bits, sp, dp)]);
    b[p++] = COMMA;
    const sTos = arp ? -1 : rows[r + F_STOS];
    const dTos = arp ? -1 : rows[r + F_DTOS];
    if (sTos >= 0) p = putNumber(b, v, p, sTos);
    b[p++] = COMMA;
    if (dTos >= 0) p = putNumber(b, v, p, dTos);
    b[p++] = COMMA;
    p = putNumber(b, v, p, sp + dp);
    b[p++] = COMMA;
    const srcBytes = rows[r + F_S + S_BYTES];
    p = putNumber(b, v, p, srcBytes + rows[r + F_D + S_BYTES]);
    b[p++] = COMMA;
    p = putNumber(b, v, p, srcBytes);
    b[p++] = COMMA;
    // no label
    b[p++] = NEWLINE;
    enc.pos = p;
  }

  private putAddress(b: Buffer, v: DataView, p: number, words: Uint32Array, o: number, v6: boolean): number {
    return v6 ? putText(b, p, address(words, o, true, this.addr16)) : putIpv4(v, p, words[o]);
  }
}

/**
 * The `extra` fields of a record depend on which are present: the TTLs (a side sent), sizes (a side
 * sent) and inter-packet times (a side sent twice). For each such set, a function made once writes
 * exactly its fields in one fixed order: each object shape then has its own store sites (one site
 * shared by a dozen shapes would be a slow megamorphic store). `make` builds a new object, `fill`
 * writes into one of that shape. The source holds only field names and row offsets.
 */
interface ExtraShape {
  make: (rows: Float64Array, r: number) => Record<string, number>;
  fill: (extra: Record<string, number>, rows: Float64Array, r: number) => void;
}

function extraShape(fields: number): ExtraShape {
  const parts: [string, string][] = [["DstBytes", `rows[r + ${F_D + S_BYTES}]`]];
  if (fields & 1) parts.push(["sTtl", `rows[r + ${F_STTL}]`]);
  if (fields & 2) parts.push(["dTtl", `rows[r + ${F_DTTL}]`]);
  const side = (level: number, at: number, p: "s" | "d", P: "S" | "D") => {
    if (level === 0) return;
    parts.push(
      [`${p}MinPktSz`, `rows[r + ${at + S_MIN_SZ}]`],
      [`${p}MaxPktSz`, `rows[r + ${at + S_MAX_SZ}]`],
    );
    if (level < 2) return;
    parts.push(
      [`${P}IntPkt`, `(rows[r + ${at + S_GAP_SUM}] / (rows[r + ${at + S_PKTS}] - 1)) * 1000`],
      [`${P}IntPktMin`, `rows[r + ${at + S_GAP_MIN}] * 1000`],
      [`${P}IntPktMax`, `rows[r + ${at + S_GAP_MAX}] * 1000`],
    );
  };
  side((fields >> 2) & 3, F_S, "s", "S");
  side((fields >> 4) & 3, F_D, "d", "D");
  return {
    make: new Function(
      "rows",
      "r",
      `return { ${parts.map(([k, v]) => `${k}: ${v}`).join(", ")} };`,
    ) as ExtraShape["make"],
    fill: new Function(
      "extra",
      "rows",
      "r",
      parts.map(([k, v]) => `extra.${k} = ${v};`).join("\n"),
    ) as ExtraShape["fill"],
  };
}

/** Shapes by the bits: 1 source TTL, 2 destination TTL, 4-8 source packets (0, 1, 2+), 16-32 destination. */
const EXTRA_SHAPES: ExtraShape[] = Array.from({ length: 64 }, (_, i) => extraShape(i));

/** Big-endian 32-bit word at b[o]. */
function word(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** A 31-bit hash of the key words (multiply-xorshift mixing); IPv4 keys skip the unused words. */
function hashKey(k: Uint32Array, v6: boolean): number {
  let h = Math.imul(k[K_META] ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ k[K_LO], 0xcc9e2d51);
  h = Math.imul(h ^ (h >>> 13) ^ k[K_HI], 0x1b873593);
  h = Math.imul(h ^ (h >>> 15) ^ k[K_PORTS], 0xcc9e2d51);
  h = Math.imul(h ^ (h >>> 13) ^ k[K_DETAIL], 0x85ebca6b);
  if (v6) {
    for (let i = 1; i < 4; i++) {
      h = Math.imul(h ^ (h >>> 15) ^ k[K_LO + i], 0xcc9e2d51);
      h = Math.imul(h ^ (h >>> 13) ^ k[K_HI + i], 0x1b873593);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x7fffffff;
}
