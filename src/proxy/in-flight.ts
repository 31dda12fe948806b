/**
 * The requests in flight, for the drain (SPEC §1): a doubly linked list through the items themselves
 * rather than a Set.
 *
 * A Set that took and dropped an entry for every request turned V8's young collections costly for good
 * after the first full collection under load: whole requests (headers, buffers, spans) outlived their
 * request and were promoted, young collections went from ~1 ms to ~8 ms, the old generation grew ~2.3 MB
 * with each, and full collections came every ~2 s (measured with a forced full collection; with this
 * list instead, nothing changes after it). The likely mechanism: V8 appends each Set entry and rehashes
 * into a new table as deleted entries pile up, and an obsolete table, once in the old generation, still
 * points at its successor and at the entries it held, which young collections must then keep. Linking
 * requests to each other leaves nothing behind when one is removed.
 */
export interface InFlightLinks<T> {
  inFlightPrev: T | undefined;
  inFlightNext: T | undefined;
}

export class InFlightList<T extends InFlightLinks<T>> {
  private head: T | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: T): void {
    item.inFlightPrev = undefined;
    item.inFlightNext = this.head;
    if (this.head !== undefined) this.head.inFlightPrev = item;
    this.head = item;
    this.count += 1;
  }

  /** Removes `item`; nothing happens when it is not in the list. */
  delete(item: T): void {
    if (item.inFlightPrev !== undefined) item.inFlightPrev.inFlightNext = item.inFlightNext;
    else if (this.head === item) this.head = item.inFlightNext;
    else return;
    if (item.inFlightNext !== undefined) item.inFlightNext.inFlightPrev = item.inFlightPrev;
    item.inFlightPrev = undefined;
    item.inFlightNext = undefined;
    this.count -= 1;
  }

  /** The items now, as an array: safe to act on while acting removes them. */
  toArray(): T[] {
    const items: T[] = [];
    for (let item = this.head; item !== undefined; item = item.inFlightNext) items.push(item);
    return items;
  }
}
