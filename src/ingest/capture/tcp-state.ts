/**
 * TCP connection state per flow, as far as it decides where one connection ends and the next on the
 * same ports begins, following the state machine Argus 3 runs (docs/capture-vs-argus.md):
 *
 * - A flow that began with a RST is "listening": any later packet with SYN starts a new flow.
 * - Otherwise a packet with exactly the SYN flag starts a new flow when the connection was closing:
 *   after a FIN (FIN_WAIT_1, CLOSE_WAIT) or a RST (CLOSING). A FIN that the other side acknowledged
 *   (its ACK, without data, acknowledges everything before the FIN) moves the flow to FIN_WAIT_2,
 *   where a SYN does not start a new flow: it joins the old record, as Argus does.
 * - SYNs in SYN_SENT are retransmissions; a RST answering a SYN (acknowledging it) leaves the flow in
 *   SYN_SENT, so a retried SYN joins it.
 *
 * Sequence numbers: per side the end of the data seen (sequence number + payload), and the last
 * acknowledgement sent; 32-bit wrap-around is taken into account.
 */

import type { Decoded } from "./decode.ts";

export const LISTEN = 1;
export const SYN_SENT = 2;
export const SYN_RECEIVED = 3;
export const ESTABLISHED = 4;
export const FIN_WAIT_1 = 5;
export const FIN_WAIT_2 = 6;
export const CLOSING = 7;

const FIN = 1;
const SYN = 2;
const RST = 4;
const PSH = 8;
const ACK = 16;
const URG = 32;

// per flow, stride W: state, bits, src seq, src ack, dst seq, dst ack
const W = 6;
const T_STATE = 0;
const T_BITS = 1;
const T_SEQ = [2, 4];
const T_ACK = [3, 5];
/** Bits: a side sent a FIN (acknowledged or not), a side's sequence number is known. */
const FIN_SEEN = [1, 2];
const SEQ_KNOWN = [4, 8];

/** The TCP state of every flow row of a FlowTable. */
export class TcpStates {
  private a: Float64Array = new Float64Array(0);

  /** The states, stride 6 (the capture kernel reads them: wasm/capture.ts). */
  get array(): Float64Array {
    return this.a;
  }

  /** Room for `rows` flow rows, in an array from `make`. */
  grow(rows: number, make: (n: number) => Float64Array = (n) => new Float64Array(n)): void {
    const a = make(rows * W);
    a.set(this.a);
    this.a = a;
  }

  /** Connection state of flow f (LISTEN, SYN_SENT, ...). */
  state(f: number): number {
    return this.a[f * W + T_STATE];
  }

  /** Flow f begins with a packet from side `s` (0 source, 1 destination). */
  start(f: number, s: number, d: Decoded): void {
    const flags = d.tcpFlags;
    const seq = d.tcpSeq;
    const ack = d.tcpAck;
    const len = d.tcpLen;
    const a = this.a;
    const o = f * W;
    a.fill(0, o, o + W);
    const other = 1 - s;
    let state: number;
    if (flags & RST) {
      state = LISTEN;
      a[o + T_SEQ[s]] = seq ? (seq + len) >>> 0 : (ack - 1) >>> 0;
    } else {
      switch (flags & (SYN | ACK | FIN | PSH | URG)) {
        case SYN:
          state = SYN_SENT;
          a[o + T_SEQ[s]] = seq;
          break;
        case SYN | ACK:
          state = SYN_RECEIVED;
          a[o + T_SEQ[s]] = seq;
          break;
        case ACK:
        case PSH | ACK:
        case URG | ACK:
        case PSH | URG | ACK:
        case PSH:
        case URG:
        case PSH | URG:
          state = ESTABLISHED;
          a[o + T_SEQ[s]] = (seq + len) >>> 0;
          break;
        case FIN:
        case FIN | ACK:
          state = FIN_WAIT_1;
          a[o + T_SEQ[s]] = (seq + len) >>> 0;
          break;
        default:
          state = CLOSING;
          a[o + T_SEQ[s]] = (seq + len) >>> 0;
      }
    }
    if (flags & ACK && ack) a[o + T_ACK[other]] = (ack - 1) >>> 0;
    a[o + T_STATE] = state;
    a[o + T_BITS] = SEQ_KNOWN[s];
  }

  /**
   * A later packet of flow f from side `s`: updates the state; returns true when it opens a new
   * connection (the caller ends the flow and starts a new one with this packet).
   */
  packet(f: number, s: number, d: Decoded): boolean {
    // fields read here, not passed: sequence numbers above 2^31 are doubles, boxed when passed
    const flags = d.tcpFlags;
    const seq = d.tcpSeq;
    const ack = d.tcpAck;
    const len = d.tcpLen;
    const a = this.a;
    const o = f * W;
    const state = a[o + T_STATE];
    if (state === LISTEN) return (flags & SYN) !== 0;
    const other = 1 - s;
    let bits = a[o + T_BITS];
    // sequence numbers (a bare SYN starts over: nothing to learn from it)
    if (flags !== SYN) {
      const end = (seq + len) >>> 0;
      if (!(bits & SEQ_KNOWN[s])) {
        a[o + T_SEQ[s]] = end;
        bits |= SEQ_KNOWN[s];
      } else if (len > 0 && ((end - a[o + T_SEQ[s]]) | 0) > 0) a[o + T_SEQ[s]] = end;
      if (flags & ACK && ack) a[o + T_ACK[s]] = (ack - 1) >>> 0;
    }
    let next = state;
    const synOnly = (flags & SYN) !== 0 && !(flags & ACK);
    if (flags & RST) {
      // a refusal acknowledging the SYN keeps SYN_SENT (a retried SYN joins the flow)
      if (state === SYN_SENT && a[o + T_SEQ[other]] === a[o + T_ACK[s]]) next = LISTEN;
      else next = CLOSING;
    } else {
      switch (state) {
        case SYN_SENT:
          if (flags === (SYN | ACK)) next = SYN_RECEIVED;
          else if (flags & SYN) break;
          else if (flags & FIN) {
            next = FIN_WAIT_1;
            bits |= FIN_SEEN[s];
          } else if (flags & ACK) next = ESTABLISHED;
          break;
        case SYN_RECEIVED:
          if (flags & FIN) {
            next = FIN_WAIT_1;
            bits |= FIN_SEEN[s];
          } else if (!(flags & SYN) && flags & ACK) next = ESTABLISHED;
          break;
        case ESTABLISHED:
          if (flags & FIN) {
            next = FIN_WAIT_1;
            bits |= FIN_SEEN[s];
          }
          break;
        case FIN_WAIT_1:
          if (synOnly) {
            next = LISTEN;
            break;
          }
          next = this.closing(o, s, flags, len, state, bits);
          bits = a[o + T_BITS] | (flags & FIN && flags & ACK ? FIN_SEEN[s] : 0);
          break;
        case FIN_WAIT_2:
          next = this.closing(o, s, flags, len, state, bits);
          bits = a[o + T_BITS] | (flags & FIN && flags & ACK ? FIN_SEEN[s] : 0);
          break;
        case CLOSING:
          if (synOnly) next = LISTEN;
          break;
      }
    }
    a[o + T_BITS] = bits;
    if (next !== LISTEN) a[o + T_STATE] = next;
    return next === LISTEN && flags === SYN;
  }

  /** FIN_WAIT_1/FIN_WAIT_2: an ACK without data that acknowledges the other side's FIN. */
  private closing(o: number, s: number, flags: number, len: number, state: number, bits: number): number {
    const a = this.a;
    const other = 1 - s;
    const finBits = bits | (flags & FIN && flags & ACK ? FIN_SEEN[s] : 0);
    a[o + T_BITS] = finBits;
    if (flags & ACK && len === 0 && finBits & FIN_SEEN[other] && a[o + T_SEQ[other]] === a[o + T_ACK[s]])
      return FIN_WAIT_2;
    return state;
  }
}
