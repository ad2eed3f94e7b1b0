/**
 * Restores time order in a stream that is almost sorted (log lines written a little late, logs merged
 * from several servers): items wait until the newest time seen is `lateness` seconds past them, then
 * leave in time order (stable for equal times). Items later than that are passed on at once, counted
 * as `tooLate`. Memory is bounded by the items of one lateness window.
 */
export class ReorderBuffer<T extends { time: number }> {
  /** A ring of held items in time order: `size` items from `head` (capacity a power of two). */
  private ring: (T | undefined)[] = new Array(1024);
  private mask = 1023;
  private head = 0;
  private size = 0;
  private newest = Number.NEGATIVE_INFINITY;
  private released = Number.NEGATIVE_INFINITY;
  tooLate = 0;

  constructor(
    private readonly lateness: number,
    private readonly emit: (item: T) => void,
  ) {}

  push(item: T): void {
    const t = item.time;
    if (t < this.released || t < this.newest - this.lateness) {
      this.tooLate++;
      this.emit(item);
      return;
    }
    if (this.size === this.ring.length) this.grow();
    const ring = this.ring;
    const mask = this.mask;
    // insertion from the back: O(1) for in-order items, short shifts for slightly late ones
    let i = this.size;
    for (; i > 0; i--) {
      const before = ring[(this.head + i - 1) & mask]!;
      if (before.time <= t) break;
      ring[(this.head + i) & mask] = before;
    }
    ring[(this.head + i) & mask] = item;
    this.size++;
    if (t > this.newest) {
      this.newest = t;
      // most lines release nothing: look at the oldest held item before calling
      const upTo = t - this.lateness;
      if (ring[this.head]!.time <= upTo) this.release(upTo);
    }
  }

  /** Everything still held, in order (end of input). */
  flush(): void {
    this.release(Number.POSITIVE_INFINITY);
  }

  /** The time up to which items have left: a safe watermark for downstream operators. */
  get watermark(): number {
    return Math.max(this.released, this.newest - this.lateness);
  }

  private release(upTo: number): void {
    const ring = this.ring;
    while (this.size > 0) {
      const item = ring[this.head]!;
      if (item.time > upTo) break;
      ring[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      this.size--;
      this.released = item.time;
      this.emit(item);
    }
  }

  private grow(): void {
    const ring: (T | undefined)[] = new Array(this.ring.length * 2);
    for (let i = 0; i < this.size; i++) ring[i] = this.ring[(this.head + i) & this.mask];
    this.ring = ring;
    this.mask = ring.length - 1;
    this.head = 0;
  }
}
