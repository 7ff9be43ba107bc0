import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientIp } from '../../server/app';
import { parseEnv } from '../../server/env';

const request = (peer: string, forwarded?: string | string[]) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage;

describe("the client's address", () => {
  it('is the socket peer by default, whatever X-Forwarded-For claims', () => {
    expect(clientIp(request('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
    expect(clientIp(request('203.0.113.9', '198.51.100.1'), 0)).toBe('203.0.113.9');
  });

  it('behind trusted proxies, is what the outermost trusted proxy saw, not what the client claims', () => {
    // client → proxy (appends the client's address) → Kith
    expect(clientIp(request('10.0.0.2', '198.51.100.7'), 1)).toBe('198.51.100.7');
    // A client that sends its own header cannot choose its address.
    expect(clientIp(request('10.0.0.2', '1.2.3.4, 198.51.100.7'), 1)).toBe('198.51.100.7');
    // Two proxies: CDN → load balancer → Kith.
    expect(clientIp(request('10.0.0.3', '1.2.3.4, 198.51.100.7, 10.0.0.2'), 2)).toBe(
      '198.51.100.7',
    );
    expect(clientIp(request('10.0.0.3', ['198.51.100.7', '10.0.0.2']), 2)).toBe('198.51.100.7');
    // Fewer entries than trusted hops: the leftmost there is.
    expect(clientIp(request('10.0.0.2'), 3)).toBe('10.0.0.2');
    expect(clientIp(request('10.0.0.2', ' , '), 1)).toBe('10.0.0.2');
  });

  it('TRUST_PROXY is read from the environment, 0 by default, and a bad value stops the boot', () => {
    expect(parseEnv({}).TRUST_PROXY).toBe(0);
    expect(parseEnv({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(() => parseEnv({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY/);
  });
});
