import { jsonCodec } from '@duplex/core';
import { describe, expect, it } from 'vitest';
import { take } from '../test/contract.js';
import { createMemoryPubSub } from './memory/index.js';

describe('createPubSub', () => {
  it('ends the subscription with INTERNAL_SERVER_ERROR on an event it cannot decode, releasing the backend', async () => {
    const pubsub = createMemoryPubSub<Record<string, number>>({
      codec: {
        encode: (value) => value,
        decode: () => {
          throw new Error('corrupt');
        },
      },
    });
    const sub = pubsub.subscribe('t', { signal: new AbortController().signal });
    const got = take(sub, 1);
    await pubsub.publish('t', 1);
    await expect(got).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    expect(pubsub.subscriberCount()).toBe(0);
  });

  it('uses the given codec: plain JSON turns a Date into a string, undefined into null', async () => {
    const pubsub = createMemoryPubSub<Record<string, unknown>>({ codec: jsonCodec });
    const sub = pubsub.subscribe('t', { signal: new AbortController().signal });
    const got = take(sub, 2);
    await pubsub.publish('t', { at: new Date(Date.UTC(2026, 0, 1)) });
    await pubsub.publish('t', undefined);
    expect((await got).map((e) => e.data)).toEqual([{ at: '2026-01-01T00:00:00.000Z' }, null]);
  });

  it('refuses publish and subscribe after close()', async () => {
    const pubsub = createMemoryPubSub<Record<string, number>>();
    await pubsub.close();
    await expect(pubsub.publish('t', 1)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(() => pubsub.subscribe('t', { signal: new AbortController().signal })).toThrow(expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }));
  });
});
