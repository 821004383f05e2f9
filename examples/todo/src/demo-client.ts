import { createClient, DuplexError } from '@duplex/client';
import { WebSocket } from 'ws';
import type { TodoRouter } from './router.js';

/** Connects as `user`, subscribes to changes, adds and toggles a todo, lists, and prints as it goes. */
export async function runDemo(url: string, user: string, log: (line: string) => void = console.log) {
  const client = createClient<TodoRouter>({
    url,
    connectionParams: { user },
    // Node 22+ has a global WebSocket; on Node 20 pass the one from `ws`.
    WebSocket: globalThis.WebSocket ?? WebSocket,
  });
  const changes: string[] = [];
  let seen = 0;
  let notify: () => void = () => {};
  const sub = client.onChange.subscribe(undefined, {
    onData: (change, { id }) => {
      changes.push(`${change.kind}:${change.todo.title}`);
      log(`  event #${id}: ${change.kind} "${change.todo.title}" (done: ${change.todo.done})`);
      seen++;
      notify();
    },
  });
  const added = await client.todos.add.mutate({ title: 'Try duplex' });
  log(`mutation todos.add → ${JSON.stringify({ id: added.id, title: added.title })}, createdAt is a ${added.createdAt.constructor.name}`);
  await client.todos.toggle.mutate({ id: added.id });
  const list = await client.todos.list.query();
  log(`query todos.list → ${list.map((t) => `[${t.done ? 'x' : ' '}] ${t.title}`).join(', ')}`);
  let errorCode = '';
  try {
    await client.todos.add.mutate({ title: '' });
  } catch (error) {
    if (error instanceof DuplexError) errorCode = error.code;
  }
  log(`invalid input → ${errorCode}`);
  // wait for both change events (the subscription is live before the mutations run)
  await new Promise<void>((resolve) => {
    notify = () => seen >= 2 && resolve();
    notify();
  });
  sub.unsubscribe();
  await client.close();
  return { added, list, changes, errorCode };
}
