import { describe, expect, it } from 'vitest';
import { InFlightList, type InFlightLinks } from '../../../src/proxy/in-flight.js';

class Item implements InFlightLinks<Item> {
  inFlightPrev: Item | undefined;
  inFlightNext: Item | undefined;
  constructor(readonly name: string) {}
}

const names = (list: InFlightList<Item>): string[] => list.toArray().map((item) => item.name);

describe('requests in flight', () => {
  it('adds and removes from anywhere in the list, and counts', () => {
    const list = new InFlightList<Item>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => new Item(name)) as [Item, Item, Item, Item];
    for (const item of [a, b, c, d]) list.add(item);
    expect(list.size).toBe(4);
    expect(names(list).sort()).toEqual(['a', 'b', 'c', 'd']);
    list.delete(b); // middle
    list.delete(d); // the newest
    list.delete(a); // the oldest
    expect(names(list)).toEqual(['c']);
    expect(list.size).toBe(1);
    list.delete(c);
    expect(list.size).toBe(0);
    expect(names(list)).toEqual([]);
    // A removed item keeps no link into the list.
    for (const item of [a, b, c, d]) expect([item.inFlightPrev, item.inFlightNext]).toEqual([undefined, undefined]);
  });

  it('ignores removing an item twice or one never added', () => {
    const list = new InFlightList<Item>();
    const a = new Item('a');
    const b = new Item('b');
    list.add(a);
    list.delete(b);
    list.delete(a);
    list.delete(a);
    expect(list.size).toBe(0);
    list.add(b);
    expect(names(list)).toEqual(['b']);
  });

  it('gives a snapshot that stays whole while its items remove themselves', () => {
    const list = new InFlightList<Item>();
    const items = Array.from({ length: 5 }, (_, index) => new Item(String(index)));
    for (const item of items) list.add(item);
    const seen: string[] = [];
    for (const item of list.toArray()) {
      seen.push(item.name);
      list.delete(item);
    }
    expect(seen.sort()).toEqual(['0', '1', '2', '3', '4']);
    expect(list.size).toBe(0);
  });
});
