import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type DuplexClient, DuplexError } from '@duplex/client';
import { checkAsyncApi, deferred } from '@duplex/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { type ChatServer, startChatServer } from '../src/server/chat-server.js';
import type { ChatRouter } from '../src/server/router.js';
import type { ChatMessage, RoomActivity } from '../src/server/store.js';
import { ChatStore } from '../src/server/store.js';
import { errorText, fieldErrors } from '../src/web/error-text.js';

const webDir = fileURLToPath(new URL('../src/web/', import.meta.url));
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function chat(store?: ChatStore): Promise<ChatServer> {
  const server = await startChatServer({ publicDir: webDir, ...(store ? { store } : {}) });
  cleanup.push(() => server.close());
  return server;
}

function client(server: ChatServer, name?: string): DuplexClient<ChatRouter> {
  const url = `${server.url.replace('http:', 'ws:')}rpc`;
  const c = createClient<ChatRouter>({ url, WebSocket, ...(name ? { connectionParams: { name } } : {}) });
  cleanup.push(() => c.close());
  return c;
}

/** Collects a room subscription's messages; `until(n)` resolves once n have arrived. */
function collect(c: DuplexClient<ChatRouter>, input: { room: string; after?: string }) {
  const messages: ChatMessage[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const errors: DuplexError[] = [];
  const failed = deferred<DuplexError>();
  const sub = c.messages.onRoom.subscribe(input, {
    onData: (message, { id }) => {
      expect(id).toBe(message.id);
      messages.push(message);
      for (const w of waiters.filter((w) => messages.length >= w.count)) w.resolve();
    },
    onError: (error) => {
      errors.push(error);
      failed.resolve(error);
    },
  });
  cleanup.push(async () => sub.unsubscribe());
  return {
    messages,
    failed: failed.promise,
    until: (count: number) =>
      new Promise<void>((resolve) => (messages.length >= count ? resolve() : waiters.push({ count, resolve }))),
    texts: () => messages.map((m) => m.text),
    sub,
  };
}

describe('chat server (Node client)', () => {
  it('serves its own AsyncAPI 3 document, valid for @asyncapi/parser', async () => {
    const server = await chat();
    const response = await fetch(`${server.url}asyncapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const document = (await response.json()) as { servers: Record<string, { host: string; pathname: string }> };
    expect(document.servers.local).toMatchObject({ host: `127.0.0.1:${server.port}`, pathname: '/rpc' });
    const [checked] = await checkAsyncApi(document);
    expect(checked?.errors).toEqual([]);
    expect(checked?.channels).toEqual({ duplex: '/rpc' });
    expect(checked?.operations['messages.post']).toEqual({
      action: 'receive',
      messages: ['messages.post.call', 'cancel'],
      reply: ['messages.post.result', 'error'],
    });
    expect(checked?.operations['messages.onRoom']).toEqual({ action: 'send', messages: ['messages.onRoom.data', 'done', 'error'], reply: null });
    expect(checked?.operations['rooms.onList']?.action).toBe('send');
    expect(checked?.operations['server.info']?.reply).toEqual(['server.info.result', 'error']);
    expect(checked?.inputProperties['messages.post.call']).toEqual(['room', 'text']);
  }, 60_000);

  it('serves the devtools page only when asked, with its token', async () => {
    const plain = await chat();
    expect((await fetch(`${plain.url}__duplex/state`, { headers: { Authorization: 'Bearer chat-devtools-token-0123' } })).status).toBe(404);
    const server = await startChatServer({ publicDir: webDir, devtools: { token: 'chat-devtools-token-0123' } });
    cleanup.push(() => server.close());
    expect((await fetch(`${server.url}__duplex/state`)).status).toBe(401);
    const response = await fetch(`${server.url}__duplex/state`, { headers: { Authorization: 'Bearer chat-devtools-token-0123' } });
    const state = (await response.json()) as { socketPath: string; procedures: Array<{ path: string }> };
    expect(state.socketPath).toBe('/rpc');
    expect(state.procedures.map((proc) => proc.path)).toContain('messages.post');
  });

  it('serves the favicon the page links to', async () => {
    const server = await chat();
    expect(await (await fetch(server.url)).text()).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml" />');
    const icon = await fetch(`${server.url}favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await icon.text()).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it('tells a resume from before a restart (another id epoch) from one past the trimmed history', async () => {
    const store = new ChatStore({ maxHistory: 2, epoch: 'e1' });
    const server = await chat(store);
    const ada = client(server, 'ada');
    expect(await ada.server.info.query()).toEqual({ epoch: 'e1' });
    const first = await ada.messages.post.mutate({ room: 'help', text: 'a' });
    expect(first.id).toBe('e1-1');
    for (const text of ['b', 'c']) await ada.messages.post.mutate({ room: 'help', text });
    const trimmed = await collect(client(server, 'bob'), { room: 'help', after: first.id }).failed;
    expect(trimmed.code).toBe('CONFLICT');
    expect(trimmed.message).toBe('cannot resume "help" after message e1-1: it is no longer in the history (too old)');
    // Ids a previous run handed out (its store, and so its epoch, are gone), or of no run at all.
    for (const after of ['e0-3', '7']) {
      const lost = await collect(client(server, 'bob'), { room: 'help', after }).failed;
      expect(lost.code).toBe('CONFLICT');
      expect(lost.message).toContain('the server restarted');
    }
    const resumed = collect(client(server, 'bob'), { room: 'help', after: 'e1-2' });
    await resumed.until(1);
    expect(resumed.messages.map((m) => m.id)).toEqual(['e1-3']);
  });

  it('serves the page and lists rooms', async () => {
    const server = await chat();
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<title>duplex chat</title>');
    const rooms = await client(server).rooms.list.query();
    expect(rooms.map((r) => r.id)).toEqual(['general', 'random', 'help']);
  });

  it('reports a port in use as EADDRINUSE', async () => {
    const server = await chat();
    const clash = await startChatServer({ publicDir: webDir, port: server.port }).catch((e: unknown) => e);
    expect((clash as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });

  it('serves only files inside the public directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duplex-chat-static-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'public'));
    await writeFile(join(dir, 'public', 'index.html'), '<p>public</p>');
    await writeFile(join(dir, 'secret.html'), '<p>secret</p>');
    const server = await startChatServer({ publicDir: join(dir, 'public') });
    cleanup.push(() => server.close());
    expect(await (await fetch(server.url)).text()).toBe('<p>public</p>');
    // %2f is not a separator to the URL parser, so the path reaches the server as '/../secret.html'.
    const escaped = await fetch(`${server.url}..%2fsecret.html`);
    expect(escaped.status).toBe(404);
    expect(await escaped.text()).not.toContain('secret');
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  it('replays recent history, then streams live messages with their ids', async () => {
    const server = await chat();
    const ada = client(server, 'ada');
    const first = await ada.messages.post.mutate({ room: 'general', text: '  hello  ' });
    expect(first).toMatchObject({ room: 'general', author: 'ada', text: 'hello' });
    expect(first.at).toBeInstanceOf(Date);
    const seen = collect(client(server, 'bob'), { room: 'general' });
    await seen.until(1);
    await ada.messages.post.mutate({ room: 'general', text: 'second' });
    await ada.messages.post.mutate({ room: 'random', text: 'elsewhere' });
    await ada.messages.post.mutate({ room: 'general', text: 'third' });
    await seen.until(3);
    expect(seen.texts()).toEqual(['hello', 'second', 'third']);
    expect(seen.messages.map((m) => m.author)).toEqual(['ada', 'ada', 'ada']);
  });

  it('resumes after a given message without loss or repeats, and answers CONFLICT past the history', async () => {
    const server = await chat(new ChatStore({ maxHistory: 3 }));
    const ada = client(server, 'ada');
    const posted: ChatMessage[] = [];
    for (const text of ['a', 'b', 'c']) posted.push(await ada.messages.post.mutate({ room: 'help', text }));
    const resumed = collect(client(server, 'bob'), { room: 'help', after: posted[0]?.id });
    await resumed.until(2);
    await ada.messages.post.mutate({ room: 'help', text: 'd' });
    await resumed.until(3);
    expect(resumed.texts()).toEqual(['b', 'c', 'd']);
    // 'a' was trimmed when 'd' arrived (3 kept): the server can no longer tell what followed it.
    const tooOld = collect(client(server, 'eve'), { room: 'help', after: posted[0]?.id });
    const error = await tooOld.failed;
    expect(error.code).toBe('CONFLICT');
    expect(tooOld.messages).toEqual([]);
    const older = await ada.rooms.history.query({ room: 'help', before: resumed.messages[2]?.id, limit: 1 });
    expect(older.map((m) => m.text)).toEqual(['c']);
  });

  it('refuses a too long message with BAD_REQUEST and the zod issue, and anonymous posts', async () => {
    const server = await chat();
    const error = (await client(server, 'ada')
      .messages.post.mutate({ room: 'general', text: 'x'.repeat(501) })
      .catch((e: unknown) => e)) as DuplexError;
    expect(error).toBeInstanceOf(DuplexError);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.issues?.[0]).toMatchObject({ path: ['text'], code: 'too_big', origin: 'string', maximum: 500 });
    // The page words the issue for people, beside the field, from its code and bound.
    expect(fieldErrors(error)).toEqual({ fields: new Map([['text', 'Message is too long (max 500 characters)']]), rest: '' });
    expect(errorText(error)).toBe('Check the highlighted field.');
    const empty = await client(server, 'ada')
      .messages.post.mutate({ room: 'general', text: '   ' })
      .catch((e: unknown) => e);
    expect(fieldErrors(empty).fields.get('text')).toBe('Message is empty');
    const anonymous = (await client(server).messages.post.mutate({ room: 'general', text: 'hi' }).catch((e: unknown) => e)) as DuplexError;
    expect(anonymous.code).toBe('UNAUTHORIZED');
    expect(fieldErrors(anonymous)).toEqual({ fields: new Map(), rest: 'Pick a name first' });
    const noRoom = (await client(server, 'ada').messages.post.mutate({ room: 'nope', text: 'hi' }).catch((e: unknown) => e)) as DuplexError;
    expect(noRoom.code).toBe('NOT_FOUND');
    // An issue about no field of the form goes to the general line, still in words.
    const badRoom = await client(server, 'ada').messages.post.mutate({ room: '', text: 'hi' }).catch((e: unknown) => e);
    expect(fieldErrors(badRoom)).toEqual({ fields: new Map(), rest: 'Room is empty' });
    expect(errorText(new DuplexError({ code: 'SERVICE_UNAVAILABLE', retryable: true }))).toBe('Not sent: the connection dropped. Try again.');
    expect(server.store.listRooms().every((r) => r.messages === 0)).toBe(true);
  });

  it('shows who is online and typing, and clears typing on post and on leave', async () => {
    const server = await chat();
    const snapshots: RoomActivity[] = [];
    const waiters = new Set<() => void>();
    const waitFor = (test: (a: RoomActivity) => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!snapshots.some(test)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    const onData = (activity: RoomActivity) => {
      snapshots.push(activity);
      for (const check of [...waiters]) check();
    };
    const ada = client(server, 'ada');
    const sub = ada.rooms.activity.subscribe({ room: 'general' }, { onData });
    cleanup.push(async () => sub.unsubscribe());
    await waitFor((a) => a.online.join() === 'ada');
    const bob = client(server, 'bob');
    const bobSub = bob.rooms.activity.subscribe({ room: 'general' }, {});
    await waitFor((a) => a.online.join() === 'ada,bob');
    await bob.messages.typing.mutate({ room: 'general', typing: true });
    await waitFor((a) => a.typing.join() === 'bob');
    snapshots.length = 0;
    await bob.messages.post.mutate({ room: 'general', text: 'done typing' });
    await waitFor((a) => a.typing.length === 0 && a.online.join() === 'ada,bob');
    snapshots.length = 0;
    bobSub.unsubscribe();
    await waitFor((a) => a.online.join() === 'ada');
    expect(server.store.activity('general')).toEqual({ online: ['ada'], typing: [] });
  });

  it('lets go of every listener and presence when clients unsubscribe or disconnect', async () => {
    const server = await chat();
    const ada = client(server, 'ada');
    const bob = client(server, 'bob');
    const seen = collect(ada, { room: 'general' });
    const activity = ada.rooms.activity.subscribe({ room: 'general' }, {});
    bob.rooms.activity.subscribe({ room: 'random' }, {});
    const lists: Array<Array<{ id: string; online: number }>> = [];
    const roomList = ada.rooms.onList.subscribe(undefined, { onData: (rooms) => lists.push(rooms) });
    const bobSeen = collect(bob, { room: 'random' });
    await bob.messages.post.mutate({ room: 'general', text: 'hi' });
    await seen.until(1);
    await ada.messages.post.mutate({ room: 'random', text: 'hey' });
    await bobSeen.until(1);
    expect(server.store.stats()).toEqual({ messageListeners: 2, activityListeners: 2, roomsListeners: 1, online: 2 });
    // The room list is live: it reached one person online in each room.
    await vi.waitFor(() => expect(lists.at(-1)?.filter((r) => r.online > 0).map((r) => [r.id, r.online])).toEqual([['general', 1], ['random', 1]]));
    seen.sub.unsubscribe();
    activity.unsubscribe();
    roomList.unsubscribe();
    await bob.close(); // a disconnect ends bob's subscriptions on the server
    await vi.waitFor(() => expect(server.store.stats()).toEqual({ messageListeners: 0, activityListeners: 0, roomsListeners: 0, online: 0 }));
    await vi.waitFor(() => expect(server.wsServer.stats()).toMatchObject({ calls: 0, subscriptions: 0 }));
  });
});
