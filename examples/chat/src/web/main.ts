import { createClient } from '@duplex/client';
import type { ChatRouter } from '../server/router.js';
import { ChatApp } from './chat-app.js';
import { byId } from './dom.js';
import { MessageCache } from './message-cache.js';

const NAME_KEY = 'duplex-chat:name';

/** `<meta name="duplex-url">` when the API lives elsewhere, else `/rpc` on this page's host. */
function serverUrl(): string {
  const configured = document.querySelector<HTMLMetaElement>('meta[name="duplex-url"]')?.content;
  if (configured) return configured;
  const url = new URL('/rpc', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

function start(name: string): void {
  sessionStorage.setItem(NAME_KEY, name);
  byId('join').hidden = true;
  byId('chat').hidden = false;
  byId('me').textContent = `you are ${name}`;
  const url = serverUrl();
  const client = createClient<ChatRouter>({ url, connectionParams: { name } });
  const room = decodeURIComponent(location.hash.slice(1)) || 'general';
  new ChatApp(client, new MessageCache(), name, url).start(room);
}

// The name lives in sessionStorage: a reload keeps it (and the room, in the URL hash), a new tab asks.
const saved = sessionStorage.getItem(NAME_KEY);
if (saved) start(saved);
else {
  const form = byId<HTMLFormElement>('join');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = byId<HTMLInputElement>('name').value.trim();
    if (name) start(name);
  });
}
