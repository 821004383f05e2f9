import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findNats, findRedis, portAnswers } from './find-broker.js';

/** A port nothing listens on: bound, read, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('finding brokers', () => {
  it('portAnswers tells a listening port from a closed one', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    expect(await portAnswers('127.0.0.1', address.port)).toBe(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await portAnswers('127.0.0.1', await closedPort())).toBe(false);
  });

  it('an explicit URL wins, without probing', async () => {
    const port = await closedPort();
    expect(await findRedis({ REDIS_URL: `redis://127.0.0.1:${port}` })).toEqual({ url: `redis://127.0.0.1:${port}` });
    expect(await findNats({ NATS_URL: `nats://127.0.0.1:${port}` })).toEqual({ url: `nats://127.0.0.1:${port}` });
  });

  it('without one, the default port is used when it answers, and named with the fix when it does not', async () => {
    const redis = await findRedis({});
    const answers = await portAnswers('127.0.0.1', 6379);
    expect(redis).toEqual(
      answers
        ? { url: 'redis://127.0.0.1:6379' }
        : { missing: 'Redis tests: nothing answers at 127.0.0.1:6379, start `redis-server` or set REDIS_URL' },
    );
  });
});
