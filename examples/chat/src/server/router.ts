import { EventQueue } from '@duplex/pubsub';
import { DuplexError, initDuplex, tracked } from '@duplex/server';
import { z } from 'zod';
import type { ChatMessage, ChatStore } from './store.js';

/** What every handler gets: who is calling (from `connectionParams`) and the store. */
export interface ChatContext {
  user: string | null;
  store: ChatStore;
}

/** Longest message the server accepts; longer ones are refused with `BAD_REQUEST`. */
export const MAX_MESSAGE_LENGTH = 500;

const d = initDuplex.context<ChatContext>().create();

/** Procedures that need a name: narrows `ctx.user` to `string`. */
const named = d.procedure.use(async ({ ctx, next }) => {
  if (!ctx.user) throw new DuplexError({ code: 'UNAUTHORIZED', message: 'Pick a name first' });
  return next({ ctx: { user: ctx.user } });
});

/**
 * A snapshot from `read()`, then a fresh one after every change `listen` reports, until `signal`
 * aborts. Changes are coalesced: the next snapshot is read once the previous one has been taken,
 * so a burst of changes costs one snapshot, not one each.
 */
async function* snapshots<TSnapshot>(
  signal: AbortSignal,
  listen: (changed: () => void) => () => void,
  read: () => TSnapshot,
): AsyncGenerator<TSnapshot> {
  const changes = new EventQueue<true>({ signal, onClose: () => {} });
  const off = listen(() => {
    if (changes.size === 0) changes.push(true);
  });
  try {
    yield read();
    for await (const _ of changes) yield read();
  } finally {
    off();
  }
}

const roomId = z.string().min(1).max(40);
const room = z.object({ room: roomId });

export const chatRouter = d.router({
  server: d.router({
    /**
     * The epoch of the server's message history (see shared/message-id.ts): a page whose resume
     * failed with `CONFLICT` compares it with its last message id's to tell a restart from a gap.
     */
    info: d.procedure.query(({ ctx }) => ({ epoch: ctx.store.epoch })),
  }),
  rooms: d.router({
    list: d.procedure.query(({ ctx }) => ctx.store.listRooms()),
    /** The room list, then a fresh one whenever someone enters or leaves a room (online counts). */
    onList: d.procedure.subscription(({ ctx, signal }) =>
      snapshots(signal, (changed) => ctx.store.onRoomsChanged(changed), () => ctx.store.listRooms()),
    ),
    /** Older messages, for "load older": the newest `limit` before message `before`. */
    history: d.procedure
      .input(room.extend({ before: z.string().optional(), limit: z.number().int().min(1).max(100).default(50) }))
      .query(({ ctx, input }) => ctx.store.history(input.room, input)),
    /**
     * Presence and typing: the caller counts as online while this subscription is open; every
     * change yields a fresh snapshot (untracked, since only the latest one matters).
     */
    activity: named.input(room).subscription(async function* ({ ctx, input, signal }) {
      const leave = ctx.store.enter(input.room, ctx.user);
      try {
        yield* snapshots(signal, (changed) => ctx.store.onActivity(input.room, changed), () => ctx.store.activity(input.room));
      } finally {
        leave();
      }
    }),
  }),
  messages: d.router({
    post: named
      .input(room.extend({ text: z.string().trim().min(1, 'Write something first').max(MAX_MESSAGE_LENGTH) }))
      .mutation(({ ctx, input }) => ctx.store.post(input.room, ctx.user, input.text)),
    typing: named.input(room.extend({ typing: z.boolean() })).mutation(({ ctx, input }) => {
      ctx.store.setTyping(input.room, ctx.user, input.typing);
    }),
    /**
     * The messages of a room: first those after `lastEventId` (the client's own resume after a
     * reconnect) or after `input.after` (a page that kept messages across a reload), or the recent
     * history without either; then live ones. Each is `tracked` by its id, so a resume neither
     * loses nor repeats one. `CONFLICT` when the history no longer reaches back that far, or
     * when the id is from a history the server lost in a restart (the message says which).
     */
    onRoom: d.procedure
      .input(room.extend({ after: z.string().optional() }))
      .subscription(async function* ({ ctx, input, signal, lastEventId }) {
        // Listen before reading the backlog, so nothing posted in between is missed.
        const live = new EventQueue<ChatMessage>({ signal, maxBuffered: 1_000, onClose: () => {} });
        const off = ctx.store.onMessage(input.room, (message) => live.push(message));
        try {
          let last = 0;
          for (const message of ctx.store.messagesAfter(input.room, lastEventId ?? input.after)) {
            last = ctx.store.seqOf(message.id);
            yield tracked(message.id, message);
          }
          for await (const message of live) {
            if (ctx.store.seqOf(message.id) > last) yield tracked(message.id, message);
          }
        } finally {
          off();
        }
      }),
  }),
});

/** The router's type: all the front end imports from the server, as `import type`. */
export type ChatRouter = typeof chatRouter;
