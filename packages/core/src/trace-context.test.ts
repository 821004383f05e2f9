import { describe, expect, it } from 'vitest';
import { parseClientMessage } from './messages.js';
import { fromWireTraceContext, MAX_TRACEPARENT_LENGTH, MAX_TRACESTATE_LENGTH, parseWireTraceContext, toWireTraceContext } from './trace-context.js';

const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context on the wire (protocol.md §4.1)', () => {
  it.each([
    ['traceparent only', { tp }, { tp }],
    ['with tracestate', { tp, ts: 'congo=t61rcWkgMzE' }, { tp, ts: 'congo=t61rcWkgMzE' }],
    ['empty tracestate dropped', { tp, ts: '' }, { tp }],
    ['tracestate too long dropped', { tp, ts: 'a'.repeat(MAX_TRACESTATE_LENGTH + 1) }, { tp }],
    ['tracestate not a string dropped', { tp, ts: 5 }, { tp }],
    ['traceparent at the length limit', { tp: 'a'.repeat(MAX_TRACEPARENT_LENGTH) }, { tp: 'a'.repeat(MAX_TRACEPARENT_LENGTH) }],
    ['traceparent too long', { tp: 'a'.repeat(MAX_TRACEPARENT_LENGTH + 1) }, undefined],
    ['empty traceparent', { tp: '' }, undefined],
    ['traceparent not a string', { tp: 1 }, undefined],
    ['a string instead of an object', tp, undefined],
    ['null', null, undefined],
  ])('%s', (_name, raw, expected) => {
    expect(parseWireTraceContext(raw)).toEqual(expected);
  });

  it('keeps a good tc on call and sub and ignores a bad one without refusing the message', () => {
    expect(parseClientMessage({ t: 'call', id: 1, kind: 'query', path: 'a', tc: { tp } })).toEqual({
      ok: true,
      message: { t: 'call', id: 1, kind: 'query', path: 'a', input: undefined, tc: { tp } },
    });
    expect(parseClientMessage({ t: 'sub', id: 2, path: 'a', tc: { tp, ts: 'x=1' } })).toMatchObject({ ok: true, message: { tc: { tp, ts: 'x=1' } } });
    const bad = parseClientMessage({ t: 'call', id: 3, kind: 'query', path: 'a', tc: { tp: 42 } });
    expect(bad.ok).toBe(true);
    expect(bad.ok && 'tc' in bad.message).toBe(false);
  });

  it('converts between the application form and the wire form', () => {
    expect(toWireTraceContext({ traceparent: tp, tracestate: 'x=1' })).toEqual({ tp, ts: 'x=1' });
    expect(toWireTraceContext({ traceparent: tp, tracestate: '' })).toEqual({ tp });
    expect(toWireTraceContext({ traceparent: '' })).toBeUndefined();
    expect(toWireTraceContext(undefined)).toBeUndefined();
    expect(fromWireTraceContext({ tp, ts: 'x=1' })).toEqual({ traceparent: tp, tracestate: 'x=1' });
    expect(fromWireTraceContext({ tp })).toEqual({ traceparent: tp });
  });
});
