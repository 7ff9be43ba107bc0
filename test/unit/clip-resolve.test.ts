import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClipUrlError,
  MAX_CLIP_URL_LENGTH,
  type ResolvedClip,
  resolveClipUrl,
} from '../../server/clips/resolve';

const TT_ID = '6718335390845095173';
const YT_ID = 'dQw4w9WgXcQ';
const IG_CODE = 'C1a2B3c4D5e';

type Row = { input: string } & ResolvedClip;

const tiktok = (url: string, clipId = TT_ID) => ({ site: 'tiktok' as const, clipId, url });
const youtube = (clipId = YT_ID) => ({
  site: 'youtube' as const,
  clipId,
  url: `https://www.youtube.com/shorts/${clipId}`,
});
const instagram = (shape: 'reel' | 'p', clipId = IG_CODE) => ({
  site: 'instagram' as const,
  clipId,
  url: `https://www.instagram.com/${shape}/${clipId}/`,
});
const web = (url: string) => ({ site: 'web' as const, clipId: url, url });

const TT_URL = `https://www.tiktok.com/@scout2015/video/${TT_ID}`;

const tiktokRows: Row[] = [
  { input: TT_URL, ...tiktok(TT_URL) },
  { input: `https://tiktok.com/@scout2015/video/${TT_ID}`, ...tiktok(TT_URL) },
  { input: `https://m.tiktok.com/@scout2015/video/${TT_ID}`, ...tiktok(TT_URL) },
  { input: `http://www.tiktok.com/@scout2015/video/${TT_ID}`, ...tiktok(TT_URL) },
  { input: `www.tiktok.com/@scout2015/video/${TT_ID}`, ...tiktok(TT_URL) },
  { input: `  ${TT_URL}\n`, ...tiktok(TT_URL) },
  {
    input: `https://www.tiktok.com/@Scout2015/video/${TT_ID}?is_from_webapp=1&sender_device=pc`,
    ...tiktok(TT_URL),
  },
  { input: `https://www.tiktok.com/@scout2015/video/${TT_ID}?lang=en#comments`, ...tiktok(TT_URL) },
  { input: `HTTPS://WWW.TIKTOK.COM/@scout2015/video/${TT_ID}/`, ...tiktok(TT_URL) },
  { input: `https://www.tiktok.com:443/@scout2015/video/${TT_ID}`, ...tiktok(TT_URL) },
  { input: `https://www.tiktok.com./@scout2015/video/${TT_ID}`, ...tiktok(TT_URL) },
  {
    input: 'https://www.tiktok.com/@food.lab_/photo/7301234567890123456?_r=1',
    ...tiktok('https://www.tiktok.com/@food.lab_/photo/7301234567890123456', '7301234567890123456'),
  },
  {
    input: `https://m.tiktok.com/v/${TT_ID}.html`,
    ...tiktok(`https://www.tiktok.com/@_/video/${TT_ID}`),
  },
  {
    input: `https://www.tiktok.com/embed/v2/${TT_ID}`,
    ...tiktok(`https://www.tiktok.com/@_/video/${TT_ID}`),
  },
  {
    input: 'https://vm.tiktok.com/ZMeAbCdEf/',
    ...tiktok('https://vm.tiktok.com/ZMeAbCdEf/', 'short:ZMeAbCdEf'),
  },
  {
    input: 'vm.tiktok.com/ZMeAbCdEf',
    ...tiktok('https://vm.tiktok.com/ZMeAbCdEf/', 'short:ZMeAbCdEf'),
  },
  {
    input: 'https://vt.tiktok.com/ZSYXabc12/?k=1',
    ...tiktok('https://vm.tiktok.com/ZSYXabc12/', 'short:ZSYXabc12'),
  },
  {
    input: 'https://www.tiktok.com/t/ZT8xYzAbC/',
    ...tiktok('https://vm.tiktok.com/ZT8xYzAbC/', 'short:ZT8xYzAbC'),
  },
];

const youtubeRows: Row[] = [
  { input: `https://www.youtube.com/shorts/${YT_ID}`, ...youtube() },
  { input: `https://youtube.com/shorts/${YT_ID}?feature=share`, ...youtube() },
  { input: `https://m.youtube.com/shorts/${YT_ID}/`, ...youtube() },
  { input: `https://youtu.be/${YT_ID}?si=AbCdEfGhIjKl`, ...youtube() },
  { input: `youtu.be/${YT_ID}`, ...youtube() },
  { input: `https://www.youtube.com/watch?v=${YT_ID}&t=42s`, ...youtube() },
  { input: `https://m.youtube.com/watch?feature=share&v=${YT_ID}`, ...youtube() },
  { input: `https://www.youtube.com/embed/${YT_ID}?autoplay=1`, ...youtube() },
  { input: `https://www.youtube-nocookie.com/embed/${YT_ID}`, ...youtube() },
  { input: 'HTTPS://WWW.YOUTUBE.COM/shorts/a-B_c1D2e3F#t=3', ...youtube('a-B_c1D2e3F') },
];

const instagramRows: Row[] = [
  { input: `https://www.instagram.com/reel/${IG_CODE}/`, ...instagram('reel') },
  { input: `https://instagram.com/reel/${IG_CODE}`, ...instagram('reel') },
  { input: `https://www.instagram.com/reels/${IG_CODE}/`, ...instagram('reel') },
  {
    input: `https://www.instagram.com/reel/${IG_CODE}/?igsh=MzRlODBiNWFlZA==`,
    ...instagram('reel'),
  },
  { input: `https://www.instagram.com/natgeo/reel/${IG_CODE}/`, ...instagram('reel') },
  { input: `https://m.instagram.com/reel/${IG_CODE}/`, ...instagram('reel') },
  { input: `WWW.INSTAGRAM.COM/reel/${IG_CODE}`, ...instagram('reel') },
  {
    input: `https://www.instagram.com/p/${IG_CODE}/?utm_source=ig_web_copy_link`,
    ...instagram('p'),
  },
  { input: `https://www.instagram.com/natgeo/p/${IG_CODE}/`, ...instagram('p') },
  { input: `https://www.instagram.com/p/${IG_CODE}/embed/captioned/`, ...instagram('p') },
];

const webRows: Row[] = [
  { input: 'https://Example.COM/Path?b=2&a=1', ...web('https://example.com/Path?b=2&a=1') },
  { input: 'example.com', ...web('https://example.com/') },
  { input: 'https://example.com:443/', ...web('https://example.com/') },
  { input: 'http://example.com:80/x', ...web('http://example.com/x') },
  { input: 'http://example.com:8080/x', ...web('http://example.com:8080/x') },
  { input: 'https://example.com/?', ...web('https://example.com/') },
  { input: 'https://example.com/page#section', ...web('https://example.com/page') },
  {
    input: 'https://example.com/article?utm_source=tw&utm_medium=social&id=7&fbclid=IwAR0x',
    ...web('https://example.com/article?id=7'),
  },
  {
    input: 'https://shop.example.org/item?gclid=1&color=red&msclkid=2&_ga=2.1&mc_cid=x&mc_eid=y',
    ...web('https://shop.example.org/item?color=red'),
  },
  {
    input: 'https://example.com/search?q=a%20b&UTM_Campaign=x&spm=a2g0o&ref=home',
    ...web('https://example.com/search?q=a%20b&ref=home'),
  },
  { input: 'https://example.com/a%2fb', ...web('https://example.com/a%2Fb') },
  { input: 'https://bücher.de/', ...web('https://xn--bcher-kva.de/') },
  { input: 'http://93.184.216.34/clip', ...web('http://93.184.216.34/clip') },
  { input: 'https://www.tiktok.com/@scout2015', ...web('https://www.tiktok.com/@scout2015') },
  {
    input: `https://www.tiktok.com:8443/@scout2015/video/${TT_ID}`,
    ...web(`https://www.tiktok.com:8443/@scout2015/video/${TT_ID}`),
  },
  { input: 'https://www.youtube.com/@MrBeast?si=x', ...web('https://www.youtube.com/@MrBeast') },
  { input: 'https://www.youtube.com/shorts', ...web('https://www.youtube.com/shorts') },
  {
    input: 'https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8&si=abc',
    ...web('https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8'),
  },
  { input: 'https://www.instagram.com/natgeo/', ...web('https://www.instagram.com/natgeo/') },
  { input: 'https://www.instagram.com/reels/', ...web('https://www.instagram.com/reels/') },
];

describe('resolveClipUrl', () => {
  describe('a TikTok link', () => {
    it.each(tiktokRows)('pasted as $input opens clip $clipId at $url', ({ input, ...expected }) => {
      expect(resolveClipUrl(input)).toEqual(expected);
      expect(resolveClipUrl(expected.url)).toEqual(expected);
    });
  });

  describe('a YouTube link', () => {
    it.each(youtubeRows)('pasted as $input opens Short $clipId', ({ input, ...expected }) => {
      expect(resolveClipUrl(input)).toEqual(expected);
      expect(resolveClipUrl(expected.url)).toEqual(expected);
    });
  });

  describe('an Instagram link', () => {
    it.each(instagramRows)('pasted as $input opens $url', ({ input, ...expected }) => {
      expect(resolveClipUrl(input)).toEqual(expected);
      expect(resolveClipUrl(expected.url)).toEqual(expected);
    });
  });

  describe('any other page', () => {
    it.each(webRows)('pasted as $input is shared as $url', ({ input, ...expected }) => {
      expect(resolveClipUrl(input)).toEqual(expected);
      expect(resolveClipUrl(expected.url)).toEqual(expected);
    });
  });

  describe('friends who share the same clip differently', () => {
    const sameClip: [string, string[]][] = [
      [
        'a TikTok video',
        [
          TT_URL,
          `https://m.tiktok.com/@SCOUT2015/video/${TT_ID}?lang=fr`,
          `https://m.tiktok.com/v/${TT_ID}.html`,
          `https://www.tiktok.com/embed/v2/${TT_ID}`,
          `tiktok.com/@scout2015/video/${TT_ID}/?is_from_webapp=1`,
        ],
      ],
      [
        'a YouTube Short',
        [
          `https://www.youtube.com/shorts/${YT_ID}`,
          `https://youtu.be/${YT_ID}?si=abc`,
          `https://www.youtube.com/watch?v=${YT_ID}`,
          `https://www.youtube-nocookie.com/embed/${YT_ID}`,
          `m.youtube.com/shorts/${YT_ID}?feature=share`,
        ],
      ],
      [
        'an Instagram reel',
        [
          `https://www.instagram.com/reel/${IG_CODE}/`,
          `https://instagram.com/reels/${IG_CODE}`,
          `https://www.instagram.com/natgeo/reel/${IG_CODE}/?igsh=abc`,
          `https://www.instagram.com/p/${IG_CODE}/`,
        ],
      ],
      [
        'a web page',
        [
          'https://example.com/post?id=1',
          'HTTPS://EXAMPLE.COM:443/post?id=1&utm_source=newsletter#top',
          'example.com/post?fbclid=x&id=1',
        ],
      ],
    ];

    it.each(sameClip)('land in the same thread about %s', (_, urls) => {
      const keys = urls.map((url) => {
        const { site, clipId } = resolveClipUrl(url);
        return { site, clipId };
      });
      for (const key of keys) expect(key).toEqual(keys[0]);
    });

    it('keep separate threads for different clips', () => {
      expect(resolveClipUrl(`https://youtu.be/${YT_ID}`).clipId).not.toBe(
        resolveClipUrl('https://youtu.be/dQw4w9WgXcq').clipId,
      );
      expect(resolveClipUrl('https://example.com/post?id=1').clipId).not.toBe(
        resolveClipUrl('https://example.com/post?id=2').clipId,
      );
    });
  });

  describe('a link that is not a clip a friend could open', () => {
    const hostile: [string, string][] = [
      ['nothing at all', ''],
      ['only spaces', '   \t '],
      ['plain words', 'not a link'],
      ['a single word', 'hello'],
      ['a number that looks like a host', '3.14'],
      ['a javascript: link', 'javascript:alert(1)'],
      ['a mixed-case javascript: link', 'JavaScript:alert(document.cookie)'],
      ['a data: link', 'data:text/html,<script>alert(1)</script>'],
      ['a file: link', 'file:///etc/passwd'],
      ['an ftp: link', 'ftp://example.com/clip.mp4'],
      ['a chrome-extension: link', 'chrome-extension://abcdefghijklmnop/popup.html'],
      ['an about: link', 'about:blank'],
      ['a mailto: link', 'mailto:someone@example.com'],
      ['a scheme with no host', 'https://'],
      ['an http scheme with no host', 'http://'],
      ['three slashes', 'https:///evil.com'],
      ['a single slash', 'https:/evil.com'],
      ['backslashes for slashes', 'https:\\\\evil.com'],
      ['a protocol-relative link', '//evil.com'],
      ['a protocol-relative link with a path', '//evil.com/clip'],
      ['a user name and password', 'http://user:pw@evil.com'],
      ['a host disguised as a user name', `https://www.tiktok.com@evil.com/@a/video/${TT_ID}`],
      ['an empty user name', 'https://@evil.com/'],
      ['a backslash before a fake host', 'https://evil.com\\@www.tiktok.com/'],
      ['a space in the host', 'https://exa mple.com'],
      ['a space in the path', 'https://example.com/a b'],
      ['two links', `${TT_URL} ${TT_URL}`],
      ['a right-to-left override', 'https://example.com/\u202Egpj.exe'],
      ['a leading right-to-left override', '\u202Ehttps://example.com'],
      ['a zero-width space in the host', 'https://you\u200Btube.com/shorts/dQw4w9WgXcQ'],
      ['a soft hyphen in the host', 'https://tik\u00ADtok.com/@a/video/1'],
      ['a tab inside', 'https://example.com/\tx'],
      ['a newline inside', 'https://example.com/\nx'],
      ['a NUL character', 'https://example.com/\u0000'],
      ['a lone surrogate', 'https://example.com/\uD800'],
      ['a non-breaking space', 'https://example.com/a\u00A0b'],
      ['a single-label host', 'https://localhost/x'],
      ['a host starting with a hyphen', 'https://-evil.com/'],
      ['an empty host label', 'https://evil..com/'],
      ['an underscore in the host', 'https://a_b.example.com/'],
      ['an out-of-range IP address', 'https://999.1.1.1/'],
      ['a shorthand IP address', 'https://1.2.3/'],
      ['an IP address written as one number', 'http://2130706433/'],
      ['an octal IP address', 'http://010.0.0.1/'],
      ['an out-of-range port', 'https://example.com:99999/'],
      ['a host over the limit', `https://${'a'.repeat(2100)}.com`],
      ['a path over the limit', `https://example.com/${'a'.repeat(MAX_CLIP_URL_LENGTH)}`],
      ['a path over the limit once encoded', `https://example.com/${'ü'.repeat(1000)}`],
      ['a Short with a short id', 'https://www.youtube.com/shorts/abc'],
      ['a youtu.be link with a wrong id', 'https://youtu.be/tooShort'],
      ['a watch link with a 12-letter id', `https://www.youtube.com/watch?v=${YT_ID}Q`],
      ['a watch link without an id', 'https://www.youtube.com/watch?list=PL1'],
      ['an embed with markup for an id', 'https://www.youtube.com/embed/%3Cscript%3E'],
      ['a TikTok video with a word for an id', 'https://www.tiktok.com/@scout2015/video/abc'],
      ['a TikTok video without an id', 'https://www.tiktok.com/@scout2015/video/'],
      ['a TikTok video with markup for a handle', `https://www.tiktok.com/@%3Cb%3E/video/${TT_ID}`],
      ['a TikTok short link with a bad code', 'https://vm.tiktok.com/%21%21/'],
      ['a TikTok /t/ link without a code', 'https://www.tiktok.com/t/'],
      ['an Instagram reel with markup for a code', 'https://www.instagram.com/reel/%3Cscript%3E/'],
      ['an Instagram reel without a code', 'https://www.instagram.com/reel/'],
    ];

    it.each(hostile)('is refused when it is %s', (_, input) => {
      expect(() => resolveClipUrl(input)).toThrow(ClipUrlError);
    });

    it('is refused with a message that says what is wrong and what is accepted', () => {
      const error = catchError(() => resolveClipUrl('javascript:alert(1)'));
      expect(error).toBeInstanceOf(ClipUrlError);
      expect(error.name).toBe('ClipUrlError');
      expect(error.message).toMatch(/"javascript:" are not accepted/);
      expect(error.message).toMatch(/http\(s\) link to a TikTok video, a YouTube Short/);
    });

    it('is refused with a message that points at the invisible character', () => {
      const error = catchError(() => resolveClipUrl('https://example.com/\u202Egpj.exe'));
      expect(error.message).toMatch(/U\+202E at position 21/);
    });

    it('is refused when it is not text at all', () => {
      expect(() => resolveClipUrl(42 as unknown as string)).toThrow(ClipUrlError);
    });
  });

  it('accepts a link of exactly the maximum length', () => {
    const prefix = 'https://example.com/';
    const input = prefix + 'a'.repeat(MAX_CLIP_URL_LENGTH - prefix.length);
    expect(resolveClipUrl(input).url).toBe(input);
  });

  it('never fails on any text with anything but a clear ClipUrlError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.webUrl()), (input) => {
        try {
          resolveClipUrl(input);
        } catch (error) {
          expect(error).toBeInstanceOf(ClipUrlError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('gives back a canonical link that resolves to itself', () => {
    fc.assert(
      fc.property(
        fc.webUrl({
          withQueryParameters: true,
          withFragments: true,
          validSchemes: ['http', 'https'],
        }),
        (input) => {
          let first: ResolvedClip;
          try {
            first = resolveClipUrl(input);
          } catch {
            return;
          }
          expect(resolveClipUrl(first.url)).toEqual(first);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}
