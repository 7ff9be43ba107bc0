import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanWebUrl, isTrackingParam } from '../../shared/clean-web-url';

const root = path.resolve(import.meta.dirname, '../..');

describe('cleaning a web page address', () => {
  it.each([
    [
      'https://www.example.com/a?utm_source=x&id=7&fbclid=IwAR0x#top',
      'https://www.example.com/a?id=7',
    ],
    ['https://EXAMPLE.com./v/%2fb?q=one%20two&%73i=abc', 'https://example.com/v/%2Fb?q=one%20two'],
    [
      'http://news.example.co.uk:8080/video?ref=home&gclid=1',
      'http://news.example.co.uk:8080/video?ref=home',
    ],
    ['https://www.example.com/a?UTM_Medium=x&&q=a+b', 'https://www.example.com/a?q=a+b'],
  ])('%s is named %s', (input, expected) => {
    expect(cleanWebUrl(new URL(input))).toBe(expected);
  });

  it('tells click trackers from parameters that choose the page', () => {
    for (const name of ['utm_campaign', 'fbclid', 'GCLID', '%73i', 'igsh'])
      expect(isTrackingParam(name)).toBe(true);
    for (const name of ['v', 'id', 'ref', 'source', '%zz', 'utm'])
      expect(isTrackingParam(name)).toBe(false);
  });

  it('the rules live in one module: the server and the extension import it, neither copies it', () => {
    const copies: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (
          /\.tsx?$/.test(entry.name) &&
          readFileSync(path.join(root, file), 'utf8').includes("'fbclid'")
        )
          copies.push(file);
      }
    };
    for (const dir of ['server', 'extension', 'widgets', 'shared']) walk(dir);
    expect(copies).toEqual(['shared/clean-web-url.ts']);
    for (const user of ['server/clips/resolve.ts', 'extension/sites/generic.ts'])
      expect(readFileSync(path.join(root, user), 'utf8')).toMatch(/shared\/clean-web-url'/);
  });
});
