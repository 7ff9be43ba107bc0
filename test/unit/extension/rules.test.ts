import { describe, expect, it } from 'vitest';
import { Badge, badgeText, totalUnread } from '../../../extension/background/badge';
import { describeMessage, shouldNotify } from '../../../extension/background/notifications';
import { serverToSignInTo } from '../../../extension/entrypoints/popup/server-access';
import {
  isGrantedServer,
  isSupportedOrigin,
  normalizeServerUrl,
  originPattern,
  pageOrigin,
  releaseServerOrigin,
  socketUrl,
} from '../../../extension/lib/hosts';
import type { MessageView } from '../../../extension/lib/protocol';

const ME = 'me';
const group = { id: 'g1', name: 'Roommates', kind: 'group', muted: false, unread: 1 };

function msg(over: Partial<MessageView> = {}): MessageView {
  return {
    id: 'm1',
    groupId: 'g1',
    seq: 1,
    clientId: 'client-0001',
    kind: 'text',
    sender: { id: 'ana', handle: 'ana', displayName: 'Ana' },
    body: 'look at 0:42',
    clip: null,
    atSeconds: null,
    productId: null,
    replyTo: null,
    createdAt: new Date().toISOString(),
    editedAt: null,
    deletedAt: null,
    reactions: [],
    ...over,
  } as MessageView;
}

describe('badge', () => {
  it('adds up unread messages of groups that are not muted', () => {
    expect(
      totalUnread([
        { unread: 2, muted: false },
        { unread: 5, muted: true },
        { unread: 1, muted: false },
      ]),
    ).toBe(3);
  });

  it.each([
    [0, ''],
    [1, '1'],
    [99, '99'],
    [100, '99+'],
  ])('shows %i unread as "%s"', (count, text) => {
    expect(badgeText(count)).toBe(text);
  });

  it('writes the badge only when the text changes', async () => {
    const writes: string[] = [];
    const badge = new Badge({
      setBadgeText: ({ text }) => {
        writes.push(text);
      },
      setBadgeBackgroundColor: () => undefined,
    });
    await badge.show([{ unread: 1, muted: false }]);
    await badge.show([{ unread: 1, muted: false }]);
    await badge.show([{ unread: 0, muted: false }]);
    expect(writes).toEqual(['1', '']);
  });
});

describe('notifications', () => {
  const context = { me: ME, group, focused: new Set<string>() };

  it('notifies about a new message from someone else', () => {
    expect(shouldNotify(msg(), context)).toBe(true);
  });

  it('stays quiet about my own messages', () => {
    expect(
      shouldNotify(msg({ sender: { id: ME, handle: 'me', displayName: 'Me' } }), context),
    ).toBe(false);
  });

  it('stays quiet in a muted group', () => {
    expect(shouldNotify(msg(), { ...context, group: { ...group, muted: true } })).toBe(false);
  });

  it('stays quiet about the thread the user is looking at', () => {
    expect(shouldNotify(msg(), { ...context, focused: new Set(['g1']) })).toBe(false);
  });

  it('stays quiet about groups it does not know and deleted messages', () => {
    expect(shouldNotify(msg(), { ...context, group: undefined })).toBe(false);
    expect(shouldNotify(msg({ deletedAt: new Date().toISOString() }), context)).toBe(false);
  });

  it('says who wrote what, where, and at which moment', () => {
    expect(describeMessage(msg({ atSeconds: 62.4 }), { ...group, unread: 3 })).toEqual({
      title: 'Roommates',
      message: 'Ana: look at 0:42 at 1:02',
      contextMessage: '3 unread',
    });
  });

  it('names the sender as the title in a direct thread, and describes shared clips', () => {
    const clip = {
      site: 'tiktok',
      clipId: '1',
      url: 'https://www.tiktok.com/@a/video/1',
      title: 'Cat',
      thumbnailUrl: null,
    };
    expect(
      describeMessage(msg({ kind: 'clip', body: null, clip }), { ...group, kind: 'direct' }),
    ).toEqual({
      title: 'Ana',
      message: 'Shared “Cat”',
    });
  });

  it('keeps markup as plain text and long messages short', () => {
    const text = describeMessage(
      msg({ body: `<img src=x onerror=alert(1)> ${'a'.repeat(400)}` }),
      group,
    );
    expect(text.message.startsWith('Ana: <img src=x onerror=alert(1)>')).toBe(true);
    expect(text.message.length).toBeLessThan(200);
  });
});

describe('hosts', () => {
  it.each([
    ['https://www.tiktok.com', true],
    ['https://m.tiktok.com', true],
    ['https://www.youtube.com', true],
    ['https://www.instagram.com', true],
    ['https://vimeo.com', false],
    ['https://evil-tiktok.com', false],
  ])('%s is supported out of the box: %s', (origin, supported) => {
    expect(isSupportedOrigin(origin)).toBe(supported);
  });

  it('only web pages have an origin Kith can run on', () => {
    expect(pageOrigin('https://example.com/watch?v=1')).toBe('https://example.com');
    expect(pageOrigin('http://localhost:3000/x')).toBe('http://localhost:3000');
    expect(pageOrigin('chrome://extensions')).toBeNull();
    expect(pageOrigin('about:blank')).toBeNull();
    expect(pageOrigin(undefined)).toBeNull();
  });

  it('asks for one origin at a time', () => {
    expect(originPattern('https://example.com')).toBe('https://example.com/*');
    expect(originPattern('http://localhost:3000')).toBe('http://localhost/*');
  });

  it('cleans up a typed server address', () => {
    expect(normalizeServerUrl('')).toBe('http://localhost:8787');
    expect(normalizeServerUrl(' localhost:8787/ ')).toBe('http://localhost:8787');
    expect(normalizeServerUrl('kith.example.com')).toBe('https://kith.example.com');
    expect(normalizeServerUrl('https://kith.example.com/trpc')).toBe('https://kith.example.com');
    expect(() => normalizeServerUrl('ftp://x')).toThrow(/http/);
    expect(socketUrl('https://kith.example.com')).toBe('wss://kith.example.com/trpc');
    expect(socketUrl('http://localhost:8787')).toBe('ws://localhost:8787/trpc');
    expect(isGrantedServer('http://localhost:8787')).toBe(true);
    expect(isGrantedServer('https://kith.example.com')).toBe(false);
  });
});

describe('the server address a person types', () => {
  it.each([
    ['', 'http://localhost:8787'],
    ['kith.example.com', 'https://kith.example.com'],
    ['  Kith.Example.com/  ', 'https://kith.example.com'],
    ['kith.example.com:8443', 'https://kith.example.com:8443'],
    ['https://kith.example.com/trpc', 'https://kith.example.com'],
    ['https://kith.example.com/privacy?x=1#top', 'https://kith.example.com'],
    ['http://kith.example.com', 'http://kith.example.com'],
    ['localhost:8787', 'http://localhost:8787'],
    ['127.0.0.1:45999', 'http://127.0.0.1:45999'],
    ['192.168.1.20:8787', 'http://192.168.1.20:8787'],
    ['[::1]:8787', 'http://[::1]:8787'],
    ['kith.localhost:8787', 'http://kith.localhost:8787'],
    ['https://127.0.0.1:8443', 'https://127.0.0.1:8443'],
  ])('"%s" is the server %s', (typed, origin) => {
    expect(normalizeServerUrl(typed)).toBe(origin);
  });

  it.each([
    ['ftp://kith.example.com', /http/],
    ['kith example.com', /not a web address/],
    ['https://', /not a web address/],
    ['https://ana:secret@kith.example.com', /password/],
    ['javascript:alert(1)', /http/],
    ['*', /wildcard/],
    ['https://*', /wildcard/],
    ['*.example.com', /wildcard/],
    ['http://*.com', /wildcard/],
    ['.', /empty part/],
    ['...', /empty part/],
    ['https://a..example.com', /empty part/],
    ['user:pass@kith.example.com', /Credentials are not allowed/],
    ['ana@kith.example.com', /Credentials are not allowed/],
  ])('"%s" is refused with a reason', (typed, reason) => {
    expect(() => normalizeServerUrl(typed)).toThrow(reason);
  });

  it.each([['https://*'], ['*.example.com'], ['*'], ['...']])(
    'typing "%s" never asks the browser for a host permission',
    async (typed) => {
      const asked: string[][] = [];
      await expect(
        serverToSignInTo(typed, async (origins) => {
          asked.push(origins);
          return true;
        }),
      ).rejects.toThrow(/server address/);
      expect(asked).toEqual([]);
    },
  );

  it.each([
    ['a 5,000-character host', `${'a'.repeat(5000)}.com`, /253/],
    ['a 254-character host', `${'a.'.repeat(125)}comm`, /253/],
    ['a 64-character label', `${'a'.repeat(64)}.com`, /63/],
  ])('%s is refused with a reason', (_what, typed, reason) => {
    expect(() => normalizeServerUrl(typed)).toThrow(reason);
  });

  it('a long but valid name is still a server', () => {
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.example.com`;
    expect(normalizeServerUrl(name)).toBe(`https://${name}`);
  });
});

describe('the server a store build is made for (KITH_SERVER_URL)', () => {
  it.each([
    ['https://kith.example.com', 'https://kith.example.com'],
    ['https://kith.example.com/', 'https://kith.example.com'],
    ['HTTPS://KITH.EXAMPLE.COM', 'https://kith.example.com'],
    ['https://kith.example.com:8443', 'https://kith.example.com:8443'],
  ])('%s builds for %s', (value, origin) => {
    expect(releaseServerOrigin(value)).toBe(origin);
  });

  it.each([
    [undefined],
    [''],
    ['http://kith.example.com'],
    ['https://kith.example.com/path'],
    ['https://user@kith.example.com'],
    ['https://*'],
    ['https://*.example.com'],
    ['https://[::1]'],
    ['https://[2001:db8::1]'],
    ['https://127.0.0.1'],
    ['https://127.0.0.2'],
    ['https://127.1'],
    ['https://0x7f000001'],
    ['https://0.0.0.0'],
    ['https://10.0.0.1'],
    ['https://192.168.1.5'],
    ['https://8.8.8.8'],
    ['https://localhost'],
    ['https://LOCALHOST'],
    ['https://localhost.'],
    ['https://foo.localhost'],
    ['https://foo.localhost.'],
    ['https://intranet'],
    ['https://intranet.'],
    ['https://a..example.com'],
  ])('a store build refuses %s with a message naming KITH_SERVER_URL', (value) => {
    expect(() => releaseServerOrigin(value)).toThrow(/KITH_SERVER_URL/);
  });
});
