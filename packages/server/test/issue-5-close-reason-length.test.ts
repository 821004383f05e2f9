import { CloseCode, DuplexError, MAX_CLOSE_REASON_BYTES, toCloseReason } from '@duplex/core';
import { startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { router, type TestRouter } from './fixtures.js';
import { openRaw } from './raw-socket.js';

// Found while hardening (issue 5): a close reason built from client-chosen text (a codec name of
// 40 three-byte characters) passed the 123-byte limit of a close frame, `ws` threw inside the
// message handler and the exception took the whole process down.
describe('close reasons longer than a close frame allows', () => {
  it('truncates a reason that quotes a long multibyte codec name, and the server lives on', async () => {
    await using srv = await startServer(router, { createContext: () => ({ user: null }) });
    const raw = await openRaw(srv.url);
    raw.send({ t: 'hello', v: 1, codec: '\u0800'.repeat(40) });
    const closed = await raw.closed;
    expect(closed.code).toBe(CloseCode.BAD_HELLO);
    expect(closed.reason.startsWith('unsupported codec "\u0800')).toBe(true);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    const client = srv.client<TestRouter>();
    expect(await client.add.query({ a: 1, b: 2 })).toBe(3);
  });

  it('truncates a long createContext refusal message', async () => {
    const message = `Sign in again — ${'ü'.repeat(200)}`;
    await using srv = await startServer(router, {
      createContext: () => {
        throw new DuplexError({ code: 'UNAUTHORIZED', message });
      },
    });
    const raw = await openRaw(srv.url);
    raw.send({ t: 'hello', v: 1, codec: 'json' });
    const closed = await raw.closed;
    expect(closed.code).toBe(CloseCode.UNAUTHORIZED);
    expect(message.startsWith(closed.reason)).toBe(true);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
  });

  it.each([
    ['short', 'no hello received in time'],
    ['41 three-byte units', '\u0800'.repeat(41)],
    ['surrogate pairs', '😀'.repeat(40)],
    ['ascii', 'x'.repeat(500)],
  ])('toCloseReason keeps %s within the limit', (_name, text) => {
    const reason = toCloseReason(text);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    expect(text.startsWith(reason)).toBe(true);
    expect(reason.length).toBeGreaterThanOrEqual(Math.min(text.length, 30));
    expect(reason).not.toMatch(/[\ud800-\udbff]$/);
  });
});
