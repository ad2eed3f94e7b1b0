// AssemblyScript: the byte-level kernel for combined, common and vhost_combined access-log lines
// (compiled to dist/weblog.wasm by `npm run build:wasm`, loaded by src/ingest/weblog/kernel.ts).
//
// It reads a block of whole lines from linear memory and writes, per line, the request facts the
// sessionizer needs: the same numbers the JavaScript parser (src/ingest/weblog/log-format.ts) computes.
// It accepts only lines of the plain shape; anything else (IPv6, escapes, odd times, bad values, short
// lines) is marked for the JavaScript parser, which gives the same result the slow way or the reason the
// line is bad. So the kernel never decides a line is bad, and its results equal the reference's.
// User agents are interned here (bytes compared exactly): a client's user agent is checked against its
// last one with 16-byte compares instead of being hashed on every line.

/** Record layout, in i32 slots (the two f64 sit at slots 16-19); see src/ingest/weblog/kernel.ts. */
const STRIDE: i32 = 96;
const OK: i32 = 0;
const FALLBACK: i32 = 1;
const OVERSIZED: i32 = 2;
// formats
const COMBINED: i32 = 0;
const COMMON: i32 = 1;
const VHOST_COMBINED: i32 = 2;

const FNV_BASIS: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;

let maxLine: i32 = 65536;
let stopped: i32 = 0;

// extensions of up to 5 letters (packed like request-type.ts's extensionCode) and their request type
const EXT_MAX: i32 = 64;
const extCodes = new StaticArray<i64>(EXT_MAX);
const extTypes = new StaticArray<i32>(EXT_MAX);
let extCount: i32 = 0;

// user agents: bytes in an arena, offsets and lengths by id, an open-addressing table of id + 1
let arena: usize = 0;
let arenaSize: i32 = 0;
let arenaUsed: i32 = 0;
let uaOffsets: usize = 0;
let uaLengths: usize = 0;
let uaHashes: usize = 0;
let uaCap: i32 = 0;
let uaN: i32 = 0;
let uaSlots: usize = 0;
let uaMask: i32 = 0;

// the last user agent of each IPv4 address: slots of (address + 1, user-agent id)
let lastSlots: usize = 0;
let lastMask: i32 = 0;
let lastN: i32 = 0;

let scratchPtr: usize = 0;
let scratchSize: i32 = 0;

export function init(maxLineBytes: i32): void {
  maxLine = maxLineBytes;
  arenaSize = 1 << 16;
  arena = heap.alloc(<usize>arenaSize);
  uaCap = 1024;
  uaOffsets = heap.alloc(<usize>uaCap << 2);
  uaLengths = heap.alloc(<usize>uaCap << 2);
  uaHashes = heap.alloc(<usize>uaCap << 2);
  uaMask = 2047;
  uaSlots = heap.alloc(<usize>(uaMask + 1) << 2);
  memory.fill(uaSlots, 0, <usize>(uaMask + 1) << 2);
  lastMask = 4095;
  lastSlots = heap.alloc(<usize>(lastMask + 1) << 3);
  memory.fill(lastSlots, 0, <usize>(lastMask + 1) << 3);
}

export function addExtension(code: f64, type: i32): void {
  if (extCount < EXT_MAX) {
    extCodes[extCount] = <i64>code;
    extTypes[extCount] = type;
    extCount++;
  }
}

/** A region of `size` bytes for the caller (input block, records, scratch). */
export function alloc(size: i32): usize {
  return heap.alloc(<usize>size);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}

/** Byte position where the last scan stopped (the records area was full, or the input's end). */
export function stoppedAt(): i32 {
  return stopped;
}

export function userAgentCount(): i32 {
  return uaN;
}
export function userAgentOffset(id: i32): usize {
  return arena + <usize>load<i32>(uaOffsets + (<usize>id << 2));
}
export function userAgentLength(id: i32): i32 {
  return load<i32>(uaLengths + (<usize>id << 2));
}

/** Scratch bytes for user agents the JavaScript parser read (so both intern through one table). */
export function scratch(size: i32): usize {
  if (size > scratchSize) {
    if (scratchPtr != 0) heap.free(scratchPtr);
    scratchSize = size < 1024 ? 1024 : size;
    scratchPtr = heap.alloc(<usize>scratchSize);
  }
  return scratchPtr;
}

export function internScratch(len: i32): i32 {
  return internUa(scratchPtr, len);
}

/**
 * Lines of input[from, len) (whole lines: the last may lack its '\n') into records at `out`, at most
 * `capacity`, in `format` (COMBINED, COMMON: no referer nor user agent, VHOST_COMBINED: the site first).
 * Returns the records written.
 */
export function scan(input: usize, from: i32, len: i32, out: usize, capacity: i32, format: i32): i32 {
  let p = from;
  prevHostLen = -1; // the previous block's bytes are gone
  let n = 0;
  while (p < len && n < capacity) {
    const nl = findByte(input, p, len, 10);
    let e = nl;
    if (e > p && load<u8>(input + <usize>e - 1) == 13) e--;
    const o = out + <usize>(n * STRIDE);
    store<i32>(o + 4, p);
    store<i32>(o + 8, e);
    let code = OVERSIZED;
    if (e - p <= maxLine) code = parseLine(input, p, e, o, format) ? OK : FALLBACK;
    store<i32>(o, code);
    n++;
    p = nl + 1;
  }
  stopped = p > len ? len : p;
  return n;
}

/** Parses the line input[s, e) into the record at o; false when the JavaScript parser must read it. */
function parseLine(b: usize, s: i32, e: i32, o: usize, format: i32): bool {
  if (e - s < 40) return false;
  // vhost_combined: $host up to the first space, then the combined fields
  const lineStart = s;
  if (format == VHOST_COMBINED) {
    const h = findByte(b, s, e, 32);
    if (h >= e) return false;
    store<i32>(o + 56, h);
    s = h + 1;
    if (e - s < 40) return false;
  }
  let i = s;
  // $remote_addr: canonical dotted quad up to the first space, then " - "
  let v: u32 = 0;
  let octet: u32 = 0;
  let digits = 0;
  let dots = 0;
  for (;;) {
    if (i >= e) return false;
    const c = <u32>load<u8>(b + <usize>i);
    if (c == 32) break;
    if (c == 46) {
      if (digits == 0 || dots == 3) return false;
      v = (v << 8) | octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      const d = c - 48;
      if (d > 9 || (digits == 1 && octet == 0)) return false;
      octet = octet * 10 + d;
      if (octet > 255) return false;
      digits++;
    }
    i++;
  }
  if (dots != 3 || digits == 0 || i - s < 7 || i - s > 15) return false;
  v = (v << 8) | octet;
  store<u32>(o + 12, v);
  store<i32>(o + 16, i);
  store<i32>(o + 60, s);
  if (i + 3 > e || load<u8>(b + <usize>i + 1) != 45 || load<u8>(b + <usize>i + 2) != 32) return false;
  i += 3;
  // $remote_user up to the next space, then " ["
  const user = findByte(b, i, e, 32);
  if (user + 2 > e || load<u8>(b + <usize>user + 1) != 91) return false;
  i = user + 2;
  // $time_local: exactly "dd/Mon/yyyy:hh:mm:ss +zzzz", then '] "'
  if (i + 29 > e) return false;
  const t = clfTime(b + <usize>i);
  if (t != t) return false;
  store<f64>(o + 64, t);
  i += 26;
  if (load<u8>(b + <usize>i) != 93 || load<u8>(b + <usize>i + 1) != 32 || load<u8>(b + <usize>i + 2) != 34)
    return false;
  i += 3;
  // "$request": METHOD SP target SP HTTP/..., then '" '
  const rq = closingQuote(b, i, e);
  if (rq < 0 || rq + 2 > e || load<u8>(b + <usize>rq + 1) != 32) return false;
  if (!request(b, i, rq, o)) return false;
  i = rq + 2;
  // $status: three digits, 100-599, then ' '
  if (i + 4 > e || load<u8>(b + <usize>i + 3) != 32) return false;
  const s0 = <i32>load<u8>(b + <usize>i) - 48;
  const s1 = <i32>load<u8>(b + <usize>i + 1) - 48;
  const s2 = <i32>load<u8>(b + <usize>i + 2) - 48;
  if (<u32>s0 > 9 || <u32>s1 > 9 || <u32>s2 > 9) return false;
  const status = s0 * 100 + s1 * 10 + s2;
  if (status < 100 || status > 599) return false;
  store<i32>(o + 48, status);
  i += 4;
  // $body_bytes_sent: '-', nothing, or up to 15 digits
  const common = format == COMMON;
  const be = common ? e : findByte(b, i, e, 32);
  if (be - i > 15) return false;
  let bytes: f64 = 0;
  if (!(be - i == 1 && load<u8>(b + <usize>i) == 45)) {
    for (let k = i; k < be; k++) {
      const d = <u32>load<u8>(b + <usize>k) - 48;
      if (d > 9) return false;
      bytes = bytes * 10 + <f64>d;
    }
  }
  store<f64>(o + 72, bytes);
  if (common) {
    store<i32>(o + 52, -1);
    return true;
  }
  if (be + 2 > e || load<u8>(b + <usize>be + 1) != 34) return false;
  i = be + 2;
  // "$http_referer", then '" "'
  const rf = closingQuote(b, i, e);
  if (rf < 0 || rf + 3 > e || load<u8>(b + <usize>rf + 1) != 32 || load<u8>(b + <usize>rf + 2) != 34)
    return false;
  i = rf + 3;
  // "$http_user_agent"; whatever follows its closing quote is not read (as in the reference)
  const ue = closingQuote(b, i, e);
  if (ue < 0) return false;
  const dash = ue == i || (ue == i + 1 && load<u8>(b + <usize>i) == 45);
  store<i32>(o + 52, dash ? userAgentOf(v, b, i, i) : userAgentOf(v, b, i, ue));
  if (format == VHOST_COMBINED) sameHost(b, lineStart, load<i32>(o + 56), o);
  return true;
}

// the site of the previous accepted vhost line in this block, so the caller can reuse its id
let prevHostStart: i32 = 0;
let prevHostLen: i32 = -1;

/** The host is [s, e) (its end in slot 14): slot 20 says whether it is the last accepted line's. */
function sameHost(b: usize, s: i32, e: i32, o: usize): void {
  const n = e - s;
  const same = n == prevHostLen && sameBytes(b + <usize>prevHostStart, b + <usize>s, n);
  store<i32>(o + 80, same ? 1 : 0);
  prevHostStart = s;
  prevHostLen = n;
}

/** The next '"' in [from, e), or -1; also -1 when a backslash precedes it (escapes: the reference decides). */
@inline
function closingQuote(b: usize, from: i32, e: i32): i32 {
  const q = findByte(b, from, e, 34);
  if (q >= e || (q > from && load<u8>(b + <usize>q - 1) == 92)) return -1;
  return q;
}

/** METHOD SP target SP "HTTP/"... in [s, e): method code, path facts, query hash into the record. */
function request(b: usize, s: i32, e: i32, o: usize): bool {
  const a = findByte(b, s, e, 32);
  if (a <= s || a >= e) return false;
  let sp = e - 1;
  while (sp > a && load<u8>(b + <usize>sp) != 32) sp--;
  if (sp <= a || sp + 6 > e) return false;
  if (load<u32>(b + <usize>sp + 1) != 0x50545448 || load<u8>(b + <usize>sp + 5) != 47) return false; // "HTTP/"
  let method = 0;
  if (a - s == 4) {
    const m = load<u32>(b + <usize>s);
    if (m == 0x54534f50) method = 1; // POST
    else if (m == 0x44414548) method = 2; // HEAD
  }
  store<i32>(o + 20, method);
  // the path up to '?': depth, FNV-1a of it and of its folder, last '/', extension type
  const ts = a + 1;
  let h = FNV_BASIS;
  let folder = h;
  let depth = 0;
  let lastSlash = -1;
  let lastDot = -1;
  let i = ts;
  for (; i < sp; i++) {
    const c = <u32>load<u8>(b + <usize>i);
    if (c == 63) break;
    h = (h ^ c) * FNV_PRIME;
    if (c == 47) {
      depth++;
      folder = h;
      lastSlash = i;
    } else if (c == 46) lastDot = i;
  }
  store<i32>(o + 24, depth);
  store<u32>(o + 28, h & 0x7fffffff);
  store<u32>(o + 32, folder & 0x7fffffff);
  store<i32>(o + 36, lastSlash < 0 ? -1 : lastSlash - ts);
  store<i32>(o + 40, lastDot > lastSlash ? extensionType(b, lastDot + 1, i) : 0);
  let q: i32 = -1;
  if (i < sp) {
    let qh = FNV_BASIS;
    for (let k = i + 1; k < sp; k++) qh = (qh ^ <u32>load<u8>(b + <usize>k)) * FNV_PRIME;
    q = <i32>(qh & 0x7fffffff);
  }
  store<i32>(o + 44, q);
  return true;
}

/** RequestType of the extension [from, to): Html 0 .. Other 4, as request-type.ts decides. */
function extensionType(b: usize, from: i32, to: i32): i32 {
  if (to - from > 5 || to == from) return 4;
  let code: i64 = 0;
  for (let i = from; i < to; i++) {
    let c = <i32>load<u8>(b + <usize>i);
    if (c >= 65 && c <= 90) c += 32;
    if (c > 127) return 4;
    code = code * 128 + <i64>c;
  }
  for (let k = 0; k < extCount; k++) if (unchecked(extCodes[k]) == code) return unchecked(extTypes[k]);
  return 4;
}

const MONTH_CODES: StaticArray<u32> = [
  0x4a616e, 0x466562, 0x4d6172, 0x417072, 0x4d6179, 0x4a756e, 0x4a756c, 0x417567, 0x536570, 0x4f6374,
  0x4e6f76, 0x446563,
];

@inline
function two(p: usize): i32 {
  const a = <i32>load<u8>(p) - 48;
  const c = <i32>load<u8>(p + 1) - 48;
  return <u32>a > 9 || <u32>c > 9 ? -1 : a * 10 + c;
}

/** "dd/Mon/yyyy:hh:mm:ss +zzzz" at p to epoch seconds, NaN when it is not exactly that (see time.ts). */
function clfTime(p: usize): f64 {
  if (load<u8>(p + 2) != 47 || load<u8>(p + 6) != 47 || load<u8>(p + 11) != 58) return NaN;
  if (load<u8>(p + 14) != 58 || load<u8>(p + 17) != 58 || load<u8>(p + 20) != 32) return NaN;
  const d = two(p);
  const code = (<u32>load<u8>(p + 3) << 16) | (<u32>load<u8>(p + 4) << 8) | <u32>load<u8>(p + 5);
  let m = 0;
  for (let k = 0; k < 12; k++)
    if (unchecked(MONTH_CODES[k]) == code) {
      m = k + 1;
      break;
    }
  const century = two(p + 7);
  const year = two(p + 9);
  const hh = two(p + 12);
  const mm = two(p + 15);
  const s1 = <i32>load<u8>(p + 18) - 48;
  const s2 = <i32>load<u8>(p + 19) - 48;
  const sign = load<u8>(p + 21);
  const zh = two(p + 22);
  const zm = two(p + 24);
  if (m == 0 || d < 1 || d > 31 || century < 0 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59)
    return NaN;
  if (<u32>s1 > 6 || <u32>s2 > 9 || (sign != 43 && sign != 45) || zh < 0 || zm < 0) return NaN;
  const y = century * 100 + year;
  if (y < 1) return NaN;
  // Hinnant's days_from_civil (y >= 1 keeps every division non-negative)
  const yy = y - (m <= 2 ? 1 : 0);
  const era = yy / 400;
  const yoe = yy - era * 400;
  const doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const days = era * 146097 + doe - 719468;
  const off = zh * 3600 + zm * 60;
  const local = <f64>days * 86400 + <f64>(hh * 3600 + mm * 60 + s1 * 10 + s2);
  return sign == 45 ? local + <f64>off : local - <f64>off;
}

/** Position of the first byte `c` in [from, end), or end. */
@inline
function findByte(b: usize, from: i32, end: i32, c: i32): i32 {
  const needle = i8x16.splat(<i8>c);
  let i = from;
  while (i + 16 <= end) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(b + <usize>i), needle));
    if (m != 0) return i + ctz<i32>(m);
    i += 16;
  }
  while (i < end && <i32>load<u8>(b + <usize>i) != c) i++;
  return i;
}

/** Whether the n bytes at x and y are equal. */
function sameBytes(x: usize, y: usize, n: i32): bool {
  let k = 0;
  while (k + 16 <= n) {
    if (v128.any_true(v128.xor(v128.load(x + <usize>k), v128.load(y + <usize>k)))) return false;
    k += 16;
  }
  while (k < n) {
    if (load<u8>(x + <usize>k) != load<u8>(y + <usize>k)) return false;
    k++;
  }
  return true;
}

/** The user-agent id of b[s, e) sent by IPv4 address v: its last one when the bytes are the same. */
function userAgentOf(v: u32, b: usize, s: i32, e: i32): i32 {
  const key = v + 1;
  let slot = hash32(key) & lastMask;
  for (;;) {
    const k = load<u32>(lastSlots + (<usize>slot << 3));
    if (k == key) {
      const last = load<i32>(lastSlots + (<usize>slot << 3) + 4);
      const n = e - s;
      if (
        load<i32>(uaLengths + (<usize>last << 2)) == n &&
        sameBytes(arena + <usize>load<i32>(uaOffsets + (<usize>last << 2)), b + <usize>s, n)
      )
        return last;
      const id = internUa(b + <usize>s, n);
      store<i32>(lastSlots + (<usize>slot << 3) + 4, id);
      return id;
    }
    if (k == 0) break;
    slot = (slot + 1) & lastMask;
  }
  const id = internUa(b + <usize>s, e - s);
  store<u32>(lastSlots + (<usize>slot << 3), key);
  store<i32>(lastSlots + (<usize>slot << 3) + 4, id);
  if (++lastN * 2 > lastMask + 1) growLast();
  return id;
}

function growLast(): void {
  const old = lastSlots;
  const oldSize = lastMask + 1;
  lastMask = oldSize * 2 - 1;
  lastSlots = heap.alloc(<usize>(lastMask + 1) << 3);
  memory.fill(lastSlots, 0, <usize>(lastMask + 1) << 3);
  for (let i = 0; i < oldSize; i++) {
    const k = load<u32>(old + (<usize>i << 3));
    if (k == 0) continue;
    let slot = hash32(k) & lastMask;
    while (load<u32>(lastSlots + (<usize>slot << 3)) != 0) slot = (slot + 1) & lastMask;
    store<u32>(lastSlots + (<usize>slot << 3), k);
    store<i32>(lastSlots + (<usize>slot << 3) + 4, load<i32>(old + (<usize>i << 3) + 4));
  }
  heap.free(old);
}

@inline
function hash32(x: u32): i32 {
  let h = x * 0x9e3779b1;
  h ^= h >>> 16;
  return <i32>((h * 0x85ebca6b) ^ (h >>> 13));
}

/** A hash of n bytes at p, eight at a time (only this table uses it). */
function hashBytes(p: usize, n: i32): u32 {
  let h: u64 = 0x9e3779b97f4a7c15 ^ <u64>n;
  let k = 0;
  while (k + 8 <= n) {
    h = (h ^ load<u64>(p + <usize>k)) * 0xff51afd7ed558ccd;
    h ^= h >>> 29;
    k += 8;
  }
  while (k < n) {
    h = (h ^ <u64>load<u8>(p + <usize>k)) * 0x100000001b3;
    k++;
  }
  h ^= h >>> 32;
  return <u32>h;
}

/** Id of the n bytes at p, interned on first sight (ids in first-seen order, as the JavaScript tables). */
function internUa(p: usize, n: i32): i32 {
  const h = hashBytes(p, n);
  let slot = <i32>h & uaMask;
  for (;;) {
    const v = load<i32>(uaSlots + (<usize>slot << 2));
    if (v == 0) break;
    const id = v - 1;
    if (
      load<u32>(uaHashes + (<usize>id << 2)) == h &&
      load<i32>(uaLengths + (<usize>id << 2)) == n &&
      sameBytes(arena + <usize>load<i32>(uaOffsets + (<usize>id << 2)), p, n)
    )
      return id;
    slot = (slot + 1) & uaMask;
  }
  const id = uaN;
  if (arenaUsed + n > arenaSize) {
    // p may point into the input, never into the arena, so moving the arena is safe
    let size = arenaSize * 2;
    while (arenaUsed + n > size) size *= 2;
    const grown = heap.alloc(<usize>size);
    memory.copy(grown, arena, <usize>arenaUsed);
    heap.free(arena);
    arena = grown;
    arenaSize = size;
  }
  memory.copy(arena + <usize>arenaUsed, p, <usize>n);
  if (id == uaCap) {
    uaCap *= 2;
    uaOffsets = regrow(uaOffsets, id << 2, uaCap << 2);
    uaLengths = regrow(uaLengths, id << 2, uaCap << 2);
    uaHashes = regrow(uaHashes, id << 2, uaCap << 2);
  }
  store<i32>(uaOffsets + (<usize>id << 2), arenaUsed);
  store<i32>(uaLengths + (<usize>id << 2), n);
  store<u32>(uaHashes + (<usize>id << 2), h);
  arenaUsed += n;
  store<i32>(uaSlots + (<usize>slot << 2), id + 1);
  uaN++;
  if (uaN * 2 > uaMask + 1) growUaSlots();
  return id;
}

function regrow(old: usize, used: i32, size: i32): usize {
  const p = heap.alloc(<usize>size);
  memory.copy(p, old, <usize>used);
  heap.free(old);
  return p;
}

function growUaSlots(): void {
  heap.free(uaSlots);
  uaMask = (uaMask + 1) * 2 - 1;
  uaSlots = heap.alloc(<usize>(uaMask + 1) << 2);
  memory.fill(uaSlots, 0, <usize>(uaMask + 1) << 2);
  for (let id = 0; id < uaN; id++) {
    let slot = load<i32>(uaHashes + (<usize>id << 2)) & uaMask;
    while (load<i32>(uaSlots + (<usize>slot << 2)) != 0) slot = (slot + 1) & uaMask;
    store<i32>(uaSlots + (<usize>slot << 2), id + 1);
  }
}
