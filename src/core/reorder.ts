/**
 * Restores time order in a stream that is almost sorted (log lines written a little late, logs merged
 * from several servers): items wait until the newest time seen is `lateness` seconds past them, then
 * leave in time order (stable for equal times). Items later than that are passed on at once, counted
 * as `tooLate`. Memory is bounded by the items of one lateness window.
 */
export class ReorderBuffer<T extends { time: number }> {
  private items: T[] = [];
  private head = 0;
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
    const items = this.items;
    const n = items.length;
    if (n === this.head || items[n - 1].time <= t) items.push(item);
    else {
      // insertion from the back: short shifts for slightly late items
      let i = n - 1;
      while (i > this.head && items[i - 1].time > t) i--;
      items.splice(i, 0, item);
    }
    if (t > this.newest) {
      this.newest = t;
      // most lines release nothing: look at the oldest held item before calling
      const upTo = t - this.lateness;
      if (items[this.head].time <= upTo) this.release(upTo);
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
    const items = this.items;
    let h = this.head;
    while (h < items.length && items[h].time <= upTo) {
      const item = items[h];
      this.released = item.time;
      this.emit(item);
      h++;
    }
    if (h > 4096 && h * 2 > items.length) {
      this.items = items.slice(h);
      h = 0;
    }
    this.head = h;
  }
}
