// client-node20.ts — Node 20 has no global WebSocket: pass the one from `ws`
import { createClient } from '@duplex/client';
import { WebSocket } from 'ws';
import type { AppRouter } from './router.js';

const client = createClient<AppRouter>({ url: 'ws://127.0.0.1:3000', WebSocket });
console.log(await client.greet.query({ name: 'Node 20' }));
await client.close();
