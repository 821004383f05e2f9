import { DuplexError } from '@duplex/core';
import { createFakeClock, deferred } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { initDuplex, ServerPeer } from '../src/index.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('call deadlines on the server', () => {
  it('aborts the handler signal when timeoutMs passes, answers TIMEOUT and drops the late result', async () => {
    const clock = createFakeClock();
    const started = deferred<AbortSignal>();
    const finish = deferred<string>();
    const d = initDuplex.create();
    const router = d.router({
      slow: d.procedure.query(({ signal }) => {
        started.resolve(signal);
        return finish.promise; // ignores the signal on purpose: its result arrives late
      }),
    });
    const sent: Array<Record<string, unknown>> = [];
    const peer = new ServerPeer({
      router,
      connectionId: 'c1',
      clock,
      createContext: () => ({}),
      transport: {
        send: (frame) => {
          const parsed = JSON.parse(frame as string) as unknown;
          sent.push(...((Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>));
        },
        close: () => {},
      },
    });
    peer.receive(JSON.stringify([{ t: 'hello', v: 1, codec: 'json' }, { t: 'call', id: 1, kind: 'query', path: 'slow', timeoutMs: 500 }]));
    const signal = await started.promise;
    expect(peer.stats.calls).toBe(1);
    clock.advance(499);
    expect(signal.aborted).toBe(false);
    clock.advance(1);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(DuplexError);
    expect((signal.reason as DuplexError).code).toBe('TIMEOUT');
    expect(peer.stats.calls).toBe(0);
    finish.resolve('too late');
    await flush();
    expect(sent.filter((m) => m.id === 1).map((m) => m.t)).toEqual(['error']);
    expect(sent.find((m) => m.id === 1)).toMatchObject({ error: { code: 'TIMEOUT' } });
    expect(clock.pending).toBe(0);
    peer.dispose();
  });
});
