// client.ts — call it, fully typed
import { createClient, DuplexError } from '@duplex/client';
import type { AppRouter } from './router.js';

const client = createClient<AppRouter>({ url: 'ws://127.0.0.1:3000' });

const text = await client.greet.query({ name: 'Ada' }); // text: string
console.log(text); // Hello Ada

for await (const { n, at } of client.countdown.iterate({ from: 3 })) {
  console.log(n, at.toISOString()); // at arrives as a real Date
}

try {
  await client.greet.query({ name: '' });
} catch (error) {
  if (error instanceof DuplexError) console.log(error.code, error.issues?.[0]?.message); // BAD_REQUEST Too small: …
}

await client.close();
