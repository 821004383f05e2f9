import { DuplexError } from '@duplex/client';
import { initDuplex } from '@duplex/server';
import { deferred, startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const d = initDuplex.create();
const router = d.router({
  size: d.procedure.input(z.string()).mutation(({ input }) => input.length),
  feed: d.procedure.input(z.string()).subscription(async function* ({ input }) {
    yield input.length;
  }),
});

describe('client-side message size limits', () => {
  it('refuses an oversize call before sending it, with PAYLOAD_TOO_LARGE, and the socket stays up', async () => {
    await using srv = await startServer(router, { maxMessageBytes: 64 * 1024 });
    const client = srv.client<typeof router>({ maxMessageBytes: 64 * 1024 });
    const error = (await client.size.mutate('x'.repeat(70_000)).catch((e: unknown) => e)) as DuplexError;
    expect(error).toBeInstanceOf(DuplexError);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    // multi-byte text: 30,000 characters are 90,000 UTF-8 bytes
    await expect(client.size.mutate('€'.repeat(30_000))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const failed = deferred<DuplexError>();
    client.feed.subscribe('y'.repeat(70_000), { onError: failed.resolve });
    expect((await failed.promise).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await client.size.mutate('fits')).toBe(4);
    expect(client.state).toBe('open');
  });

  it('splits a burst of large calls into frames the server accepts', async () => {
    await using srv = await startServer(router, { maxMessageBytes: 256 * 1024 });
    const client = srv.client<typeof router>({ maxMessageBytes: 256 * 1024 });
    // 40 × 20 KB sent in one tick would be an 800 KB frame; the server only takes 256 KB.
    const sizes = await Promise.all(Array.from({ length: 40 }, () => client.size.mutate('z'.repeat(20_000))));
    expect(sizes).toEqual(Array.from({ length: 40 }, () => 20_000));
    expect(client.state).toBe('open');
  });
});
