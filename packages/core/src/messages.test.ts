import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, joinFrames, parseClientMessage, parseServerMessage } from './messages.js';

describe('ready.limits and ready.dedupe', () => {
  it('reads well-formed limits and a dedupe window, and ignores malformed ones', () => {
    const limits = { maxMessageBytes: 1000, maxCallsInFlight: 4, maxSubscriptions: 2, maxRequestsPerSecond: 10 };
    expect(parseServerMessage({ t: 'ready', cid: 'c', limits, dedupe: { windowMs: 5, maxEntries: 3 } })).toEqual({ t: 'ready', cid: 'c', limits, dedupe: { windowMs: 5, maxEntries: 3 } });
    expect(parseServerMessage({ t: 'ready', cid: 'c', limits: { maxMessageBytes: -1, maxCallsInFlight: 4, maxSubscriptions: 2 } })).toEqual({ t: 'ready', cid: 'c' });
  });

  it('reads maxClientStreams when it is a positive number, drops a malformed one, and ignores fields it does not know', () => {
    const base = { maxMessageBytes: 1000, maxCallsInFlight: 4, maxSubscriptions: 2 };
    expect(parseServerMessage({ t: 'ready', cid: 'c', limits: { ...base, maxClientStreams: 8 } })).toEqual({ t: 'ready', cid: 'c', limits: { ...base, maxClientStreams: 8 } });
    expect(parseServerMessage({ t: 'ready', cid: 'c', limits: { ...base, maxClientStreams: 0, maxSomethingNew: 3 } })).toEqual({ t: 'ready', cid: 'c', limits: base });
  });
});

describe('exp (credential expiry, protocol.md §5.3)', () => {
  it('reads a finite exp on ready and on a result; refuses a malformed one on a result, drops it on ready', () => {
    expect(parseServerMessage({ t: 'ready', cid: 'c', exp: 1_700_000_000_000 })).toEqual({ t: 'ready', cid: 'c', exp: 1_700_000_000_000 });
    expect(parseServerMessage({ t: 'ready', cid: 'c', exp: 'soon' })).toEqual({ t: 'ready', cid: 'c' });
    expect(parseServerMessage({ t: 'result', id: 2, exp: 5 })).toEqual({ t: 'result', id: 2, exp: 5 });
    expect(parseServerMessage({ t: 'result', id: 2, exp: '5' })).toBeUndefined();
  });
});

describe('parseServerMessage', () => {
  it('takes every kind of server message', () => {
    const good: unknown[] = [
      { t: 'result', id: 1, data: { json: 1 } },
      { t: 'result', id: 1, stream: true },
      { t: 'data', id: 2, data: { json: 'x' }, eid: '7' },
      { t: 'done', id: 2 },
      { t: 'error', id: 3, error: { code: 'NOT_FOUND', message: 'no' } },
      { t: 'error', id: null, error: { code: 'BAD_REQUEST', message: 'bad frame' } },
      { t: 'credit', id: 4, n: 16 },
      { t: 'ready', cid: 'c1' },
      { t: 'goaway', reason: 'deploy' },
      { t: 'goaway' },
      { t: 'ping' },
      { t: 'pong' },
    ];
    for (const message of good) expect(parseServerMessage(message)).toEqual(message);
  });

  it('refuses malformed ones (a client drops them)', () => {
    const bad: unknown[] = [
      null,
      [],
      'result',
      { t: 'result' },
      { t: 'result', id: -1 },
      { t: 'data', id: 2, eid: 7 },
      { t: 'done', id: 'x' },
      { t: 'error', id: 'x', error: { code: 'A', message: 'b' } },
      { t: 'error', id: 3, error: { code: 'A' } },
      { t: 'error', id: 3 },
      { t: 'error', id: 1, error: 'x' },
      { t: 'credit', id: 4, n: 0 },
      { t: 'credit', n: 4 },
      { t: 'call', id: 1 },
      { t: 'nope', id: 1 },
    ];
    for (const message of bad) expect(parseServerMessage(message)).toBeUndefined();
  });
});

describe('parseClientMessage', () => {
  const good: Array<[string, unknown]> = [
    ['hello', { t: 'hello', v: 1, codec: 'json', params: { token: 'x' } }],
    ['query call', { t: 'call', id: 1, kind: 'query', path: 'a.b', input: { json: 1 } }],
    ['mutation with deadline', { t: 'call', id: 2, kind: 'mutation', path: 'x', timeoutMs: 500 }],
    ['subscribe with resume', { t: 'sub', id: 3, path: 'feed', lastEventId: '41' }],
    ['subscribe with a credit window', { t: 'sub', id: 3, path: 'feed', credit: 64 }],
    ['subscribe paused (credit 0)', { t: 'sub', id: 3, path: 'feed', credit: 0 }],
    ['credit', { t: 'credit', id: 3, n: 32 }],
    ['cancel', { t: 'cancel', id: 3 }],
    ['hello with a session', { t: 'hello', v: 1, codec: 'json', sid: 'abcdefghijklmnop', seq: 4 }],
    ['mutation with seq and key', { t: 'call', id: 4, kind: 'mutation', path: 'x', seq: 1, key: 'form-1' }],
    ['auth', { t: 'auth', id: 5, params: { token: 'y' } }],
    ['ping', { t: 'ping' }],
    ['pong', { t: 'pong' }],
  ];
  it.each(good)('accepts %s', (_name, raw) => {
    const result = parseClientMessage(raw);
    expect(result.ok).toBe(true);
  });

  const bad: Array<[string, unknown, number | null, RegExp]> = [
    ['a non-object', 'hello', null, /JSON object/],
    ['an array', [], null, /JSON object/],
    ['null', null, null, /JSON object/],
    ['an unknown kind', { t: 'explode', id: 1 }, 1, /unknown message kind "explode"/],
    ['a missing kind', { id: 4 }, 4, /message.t/],
    ['a call without id', { t: 'call', kind: 'query', path: 'a' }, null, /call.id/],
    ['a negative id', { t: 'call', id: -1, kind: 'query', path: 'a' }, null, /call.id/],
    ['a fractional id', { t: 'call', id: 1.5, kind: 'query', path: 'a' }, null, /call.id/],
    ['a string id', { t: 'call', id: '1', kind: 'query', path: 'a' }, null, /call.id/],
    ['a bad call kind', { t: 'call', id: 1, kind: 'subscription', path: 'a' }, 1, /call.kind/],
    ['an empty path', { t: 'call', id: 1, kind: 'query', path: '' }, 1, /call.path/],
    ['a non-string path', { t: 'sub', id: 1, path: 7 }, 1, /sub.path/],
    ['a zero timeout', { t: 'call', id: 1, kind: 'query', path: 'a', timeoutMs: 0 }, 1, /timeoutMs/],
    ['a numeric lastEventId', { t: 'sub', id: 1, path: 'a', lastEventId: 5 }, 1, /lastEventId/],
    ['array params', { t: 'hello', params: [1] }, null, /params/],
    ['a cancel without id', { t: 'cancel' }, null, /cancel.id/],
    ['a negative window', { t: 'sub', id: 1, path: 'a', credit: -1 }, 1, /sub.credit/],
    ['a huge window', { t: 'sub', id: 1, path: 'a', credit: 2 ** 31 }, 1, /sub.credit/],
    ['a credit without id', { t: 'credit', n: 1 }, null, /credit.id/],
    ['a negative credit', { t: 'credit', id: 2, n: -5 }, 2, /credit.n/],
    ['a zero credit', { t: 'credit', id: 2, n: 0 }, 2, /credit.n/],
    ['a fractional credit', { t: 'credit', id: 2, n: 1.5 }, 2, /credit.n/],
    ['a huge credit', { t: 'credit', id: 2, n: 1e300 }, 2, /credit.n/],
    ['a string credit', { t: 'credit', id: 2, n: '5' }, 2, /credit.n/],
    ['a short session id', { t: 'hello', sid: 'short' }, null, /hello.sid/],
    ['a negative hello.seq', { t: 'hello', sid: 'abcdefghijklmnop', seq: -1 }, null, /hello.seq/],
    ['a zero call.seq', { t: 'call', id: 1, kind: 'mutation', path: 'a', seq: 0 }, 1, /call.seq/],
    ['an empty key', { t: 'call', id: 1, kind: 'mutation', path: 'a', key: '' }, 1, /call.key/],
    ['a huge key', { t: 'call', id: 1, kind: 'mutation', path: 'a', key: 'k'.repeat(129) }, 1, /call.key/],
    ['an auth without id', { t: 'auth', params: {} }, null, /auth.id/],
    ['auth params that are not an object', { t: 'auth', id: 2, params: 'token' }, 2, /auth.params/],
  ];
  it.each(bad)('rejects %s', (_name, raw, id, reason) => {
    const result = parseClientMessage(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.id).toBe(id);
      expect(result.reason).toMatch(reason);
    }
  });

  it('rejects objects with a foreign prototype', () => {
    expect(parseClientMessage(new Date()).ok).toBe(false);
  });
});

describe('frames', () => {
  it('sends one message bare and several as an array', () => {
    expect(encodeFrame([{ t: 'ping' }])).toBe('{"t":"ping"}');
    expect(encodeFrame([{ t: 'ping' }, { t: 'pong' }])).toBe('[{"t":"ping"},{"t":"pong"}]');
    expect(decodeFrame('{"t":"ping"}')).toEqual([{ t: 'ping' }]);
    expect(decodeFrame('[{"t":"ping"},{"t":"pong"}]')).toHaveLength(2);
    expect(() => decodeFrame('{nope')).toThrow(SyntaxError);
  });
});

describe('joinFrames', () => {
  it('joins runs of texts and keeps each binary frame alone, in order', () => {
    const a = new Uint8Array([1]);
    const b = new Uint8Array([2]);
    expect(joinFrames(['{"t":"ping"}'])).toEqual(['{"t":"ping"}']);
    expect(joinFrames(['{"x":1}', '{"x":2}', a, b, '{"x":3}'])).toEqual(['[{"x":1},{"x":2}]', a, b, '{"x":3}']);
    expect(joinFrames([a])).toEqual([a]);
    expect(joinFrames([])).toEqual([]);
  });
});
