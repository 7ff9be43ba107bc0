import { describe, expect, it } from 'vitest';
import { pathSegments } from '../../../extension/lib/path-segments';

describe('pathSegments', () => {
  it.each([
    ['https://www.tiktok.com/', []],
    ['https://www.tiktok.com//@scout2015///video/123/', ['@scout2015', 'video', '123']],
    ['https://www.tiktok.com/%40scout2015/video/123', ['@scout2015', 'video', '123']],
    ['https://www.example.com/a%2fb/one%20two', ['a/b', 'one two']],
    ['https://www.example.com/%zz/ok%21', ['%zz', 'ok!']],
    ['https://www.example.com/shorts/x?v=1#y', ['shorts', 'x']],
  ])('%s', (href, segments) => {
    expect(pathSegments(new URL(href))).toEqual(segments);
  });
});
