/**
 * An exception thrown by application code (an onData callback, a state listener) is reported
 * like a browser reports a listener's error, and never stops the rest of a frame or the
 * connection's state machine.
 */
import { ClientPeer } from '@duplex/client';
import { PROTOCOL_VERSION, superjsonCodec, systemClock } from '@duplex/core';
import { startServer } from '@duplex/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventLog, type FaultRouter, makeRouter } from './fixtures.js';

const reported = vi.fn<(error: unknown) => void>();
const globals = globalThis as { reportError?: (error: unknown) => void };
let original: typeof globals.reportError;

beforeEach(() => {
  original = globals.reportError;
  globals.reportError = reported;
  reported.mockClear();
});
afterEach(() => {
  globals.reportError = original;
});

describe('exceptions in application callbacks', () => {
  it('a throwing onData does not drop the other messages of its frame', async () => {
    const peer = new ClientPeer({ codec: superjsonCodec, clock: systemClock });
    peer.attach(() => {}, { t: 'hello', v: PROTOCOL_VERSION, codec: 'superjson' });
    peer.receive(JSON.stringify({ t: 'ready', cid: 'c1' }));
    const bug = new Error('bug in onData');
    const seen: unknown[] = [];
    peer.subscribe('a', undefined, {
      onData: () => {
        throw bug;
      },
    });
    peer.subscribe('b', undefined, { onData: (value) => seen.push(value) });
    const call = peer.call('query', 'c', undefined);
    const ids = [1, 2, 3];
    peer.receive(
      JSON.stringify([
        { t: 'data', id: ids[0], data: { json: 'to a' } },
        { t: 'data', id: ids[1], data: { json: 'to b' } },
        { t: 'result', id: ids[2], data: { json: 'result' } },
      ]),
    );
    expect(seen).toEqual(['to b']);
    await expect(call).resolves.toBe('result');
    expect(reported).toHaveBeenCalledWith(bug);
  });

  it('a throwing state listener does not stop the connection or the other listeners', async () => {
    await using srv = await startServer(makeRouter(new EventLog()));
    const client = srv.client<FaultRouter>();
    const states: string[] = [];
    client.on('state', () => {
      throw new Error('bug in a state listener');
    });
    client.on('state', (state) => states.push(state));
    expect(await client.echo.query('hi')).toBe('hi');
    expect(states).toContain('open');
    expect(reported).toHaveBeenCalled();
  });
});
