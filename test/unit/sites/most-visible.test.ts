import { describe, expect, it } from 'vitest';
import { type Box, pickMostVisible, visibleArea } from '../../../extension/lib/most-visible';

const VIEWPORT = { width: 1000, height: 800 };
const at = (top: number, height = 800, left = 0, width = 400): Box => ({
  top,
  left,
  width,
  height,
});

interface Item {
  name: string;
  box: Box;
  playing?: boolean;
}

const pick = (items: Item[], prefer = false) =>
  pickMostVisible(items, (item) => item.box, VIEWPORT, {
    preferred: prefer ? (item) => item.playing === true : undefined,
  })?.name ?? null;

describe('visibleArea', () => {
  it.each([
    ['fully inside', at(100, 200), 400 * 200],
    ['cut at the top', at(-150, 200), 400 * 50],
    ['cut at the bottom', at(700, 200), 400 * 100],
    ['cut at the right', at(0, 100, 900, 400), 100 * 100],
    ['above the viewport', at(-300, 200), 0],
    ['below the viewport', at(800, 200), 0],
    ['left of the viewport', at(0, 100, -400, 400), 0],
    ['larger than the viewport', at(-100, 1200, -100, 1400), 1000 * 800],
    ['empty', at(100, 0, 0, 0), 0],
  ])('%s', (_name, box, area) => {
    expect(visibleArea(box, VIEWPORT)).toBe(area);
  });
});

describe('pickMostVisible', () => {
  it('takes the item that shows most while a feed is between two items', () => {
    const feed = [
      { name: 'a', box: at(-800) },
      { name: 'b', box: at(-350) },
      { name: 'c', box: at(450) },
    ];
    expect(pick(feed)).toBe('b');
    feed[1]!.box = at(-450);
    feed[2]!.box = at(350);
    expect(pick(feed)).toBe('c');
  });

  it('keeps the earlier item on a tie', () => {
    expect(
      pick([
        { name: 'a', box: at(-400) },
        { name: 'b', box: at(400) },
      ]),
    ).toBe('a');
  });

  it('lets a playing item beat a larger paused one', () => {
    const items = [
      { name: 'big', box: at(0, 800, 0, 800) },
      { name: 'small', box: at(0, 100, 0, 100), playing: true },
    ];
    expect(pick(items, true)).toBe('small');
    expect(pick(items, false)).toBe('big');
  });

  it('takes the largest of several playing items', () => {
    const items = [
      { name: 'small', box: at(0, 100, 0, 100), playing: true },
      { name: 'large', box: at(100, 400, 0, 700), playing: true },
      { name: 'paused', box: at(0, 800, 0, 1000) },
    ];
    expect(pick(items, true)).toBe('large');
  });

  it('never takes a playing item that is off screen', () => {
    const items = [
      { name: 'offscreen', box: at(900), playing: true },
      { name: 'visible', box: at(0) },
    ];
    expect(pick(items, true)).toBe('visible');
  });

  it('takes nothing when every item is off screen', () => {
    expect(
      pick([
        { name: 'a', box: at(-900) },
        { name: 'b', box: at(900) },
      ]),
    ).toBeNull();
  });

  it('falls back to document order when nothing has been laid out', () => {
    const items = [
      { name: 'a', box: at(0, 0, 0, 0) },
      { name: 'b', box: at(0, 0, 0, 0), playing: true },
    ];
    expect(pick(items, false)).toBe('a');
    expect(pick(items, true)).toBe('b');
  });

  it('takes nothing from an empty list', () => {
    expect(pick([])).toBeNull();
  });
});
