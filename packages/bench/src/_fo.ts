import { createClient } from '@duplex/client';
import { createWsServer, initDuplex } from '@duplex/server';
import { WebSocket } from 'ws';
import { EventHub, iterateHub } from './event-hub.js';
import { makeEvent } from './payloads.js';

const d = initDuplex.create();
const hub = new EventHub<unknown>();
const router = d.router({ events: d.procedure.subscription(async function* ({ signal }) { yield* iterateHub(hub, signal); }) });
const server = createWsServer({ router, createContext: () => ({}) });
const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
const N = Number(process.argv[2] ?? 200);
const window = process.argv[3] === 'inf' ? Infinity : Number(process.argv[3] ?? 256);
let count = 0;
const clients = Array.from({ length: N }, () => createClient<typeof router>({ url: `ws://127.0.0.1:${port}`, WebSocket, subscriptionWindow: window }));
for (const c of clients) c.events.subscribe(undefined, { onData: () => { count++; } });
while (hub.size < N) await new Promise((r) => setTimeout(r, 10));
for (let round = 0; round < 5; round++) {
  count = 0;
  const start = performance.now();
  for (let i = 0; i < 100; i++) hub.emit(makeEvent(i));
  while (count < N * 100) {
    await new Promise((r) => setTimeout(r, 1));
    if (performance.now() - start > 20000) { console.log('stuck at', count); break; }
  }
  console.log(`window ${window} round ${round}: ${((N * 100) / (performance.now() - start) * 1000).toFixed(0)} deliveries/s`);
}
await Promise.all(clients.map((c) => c.close()));
await server.close();
