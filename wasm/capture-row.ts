// AssemblyScript: the flow table's row as src/ingest/capture/flows.ts lays it out (Float64Array,
// stride ROW), shared by the capture kernel (capture.ts) and its binetflow writer (capture-line.ts).

export const ROW: i32 = 39;
export const F_HASH: i32 = 0;
export const F_BITS: i32 = 1;
/** The key's words (u32) from byte F_KEY * 8 (K_* below). */
export const F_KEY: i32 = 2;
export const F_LAST: i32 = 8;
export const F_REC_START: i32 = 9;
export const F_REC_LAST: i32 = 10;
export const F_STOS: i32 = 11;
export const F_DTOS: i32 = 12;
export const F_S: i32 = 13;
export const F_D: i32 = 22;
export const F_SIDES_END: i32 = 31;
export const F_PROTO: i32 = 31;
export const F_IPV: i32 = 32;
export const F_SPORT: i32 = 33;
export const F_DPORT: i32 = 34;
export const F_ICMP: i32 = 35;
export const F_STTL: i32 = 36;
export const F_DTTL: i32 = 37;
export const F_LISTED: i32 = 38;
// per side, at F_S or F_D
export const S_PKTS: i32 = 0;
export const S_BYTES: i32 = 1;
export const S_FLAGS: i32 = 2;
export const S_LAST: i32 = 3;
export const S_GAP_SUM: i32 = 4;
export const S_GAP_MIN: i32 = 5;
export const S_GAP_MAX: i32 = 6;
export const S_MIN_SZ: i32 = 7;
export const S_MAX_SZ: i32 = 8;
// F_BITS
export const SRC_IS_LO: i32 = 1;
export const SYN_START: i32 = 2;
export const REC_OPEN: i32 = 8;
export const LATER_RECORD: i32 = 16;
// key words
export const K_META: i32 = 0;
export const K_LO: i32 = 1;
export const K_HI: i32 = 5;
export const K_PORTS: i32 = 9;
export const K_DETAIL: i32 = 10;

@inline
export function f64At(row: usize, field: i32): f64 {
  return load<f64>(row + (<usize>field << 3));
}

@inline
export function setF64(row: usize, field: i32, v: f64): void {
  store<f64>(row + (<usize>field << 3), v);
}

@inline
export function keyWord(row: usize, k: i32): u32 {
  return load<u32>(row + (<usize>F_KEY << 3) + (<usize>k << 2));
}
