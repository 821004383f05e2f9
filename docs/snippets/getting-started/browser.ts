// browser.ts — the same client in a web page
import { createClient } from '@duplex/client';
import type { AppRouter } from './router.js';

// The socket is on the page's own server, at /rpc. Pages of other origins are refused unless
// listed in `allowedOrigins` (protection against cross-site WebSocket hijacking).
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`;
const client = createClient<AppRouter>({ url });

const output = document.querySelector('output');
document.querySelector('form')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = new FormData(event.target as HTMLFormElement).get('name');
  client.greet.query({ name: String(name) }).then(
    (greeting) => {
      if (output) output.textContent = greeting;
    },
    (error: unknown) => console.error(error),
  );
});
client.on('state', (state) => document.body.setAttribute('data-connection', state));
