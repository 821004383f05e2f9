// Forked by the streams bench: a duplex server and a raw `ws` server on 127.0.0.1, and the
// server side's peak memory growth on request.
import { createWsServer } from '@duplex/server';
import { WebSocketServer } from 'ws';
import { Ipc } from '../ipc.js';
import { HeapWatch } from './heap-watch.js';
import { streamRouter } from './stream-router.js';

const ipc = new Ipc(process);
const duplex = createWsServer({ router: streamRouter });
const watch = new HeapWatch();

/** Raw `ws` baseline: counts binary bytes; the first text message says how many to expect, and `done` answers. */
const raw = new WebSocketServer({ host: '127.0.0.1', port: 0 });
raw.on('connection', (socket) => {
  let expected = Number.POSITIVE_INFINITY;
  let received = 0;
  socket.on('message', (data, isBinary) => {
    if (!isBinary) {
      expected = Number(data.toString());
      received = 0;
      return;
    }
    received += (data as Buffer).byteLength;
    if (received >= expected) socket.send('done');
  });
});

ipc.handle(async (body) => {
  const { op } = body as { op: 'start' | 'watch' | 'peak' | 'close' };
  switch (op) {
    case 'start': {
      const { port } = await duplex.listen({ port: 0, host: '127.0.0.1' });
      await new Promise((resolve) => (raw.address() ? resolve(undefined) : raw.once('listening', resolve)));
      return { duplexPort: port, rawPort: (raw.address() as { port: number }).port };
    }
    case 'watch':
      watch.start();
      return null;
    case 'peak':
      return watch.stop();
    case 'close':
      await duplex.close({ drainMs: 0 });
      raw.close();
      return null;
  }
});
process.on('disconnect', () => process.exit(0));
