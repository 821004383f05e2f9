import { randomUUID } from 'node:crypto';
import { DuplexError } from '@duplex/server';
import { formatMessageId, parseMessageId } from '../shared/message-id.js';

/** One chat message as stored and sent to clients. */
export interface ChatMessage {
  /** `<epoch>-<seq>`, `seq` increasing across the whole store (see shared/message-id.ts); the subscription's event id. */
  id: string;
  room: string;
  author: string;
  text: string;
  at: Date;
}

/** A room as listed to clients. */
export interface RoomSummary {
  id: string;
  title: string;
  online: number;
  messages: number;
}

/** Who is in a room and who is typing right now. */
export interface RoomActivity {
  online: string[];
  typing: string[];
}

interface Room {
  id: string;
  title: string;
  /** The last `maxHistory` messages, oldest first. */
  log: ChatMessage[];
  /** Live message listeners (one per open room subscription). */
  listeners: Set<(message: ChatMessage) => void>;
  /** Open activity subscriptions per user name (a user may have several tabs). */
  online: Map<string, number>;
  /** Typing users and the timer that clears each. */
  typing: Map<string, ReturnType<typeof setTimeout>>;
  activityListeners: Set<() => void>;
}

/** Options of {@link ChatStore}. */
export interface ChatStoreOptions {
  /** Rooms that exist from the start. @default general, random, help */
  rooms?: ReadonlyArray<{ id: string; title: string }>;
  /** Messages kept per room; older ones are trimmed and can no longer be resumed from. @default 500 */
  maxHistory?: number;
  /** How long "is typing" lasts without a new keystroke. @default 4_000 */
  typingTtlMs?: number;
  /**
   * Names this store's message history in every message id. A store that outlives the process (a
   * database) keeps its epoch; an in-memory one gets a new one, so ids from before a restart are
   * recognised as such. @default 8 random hex digits
   */
  epoch?: string;
}

export const DEFAULT_ROOMS = [
  { id: 'general', title: 'General' },
  { id: 'random', title: 'Random' },
  { id: 'help', title: 'Help' },
] as const;

/**
 * The in-memory state of the chat: rooms, a bounded message log per room, presence and typing.
 * A real app would keep the log in a database; the resume logic stays the same.
 */
export class ChatStore {
  private readonly rooms = new Map<string, Room>();
  private readonly roomsListeners = new Set<() => void>();
  private seq = 0;
  /** The lifetime of this history, the first part of every message id. */
  readonly epoch: string;
  private readonly maxHistory: number;
  private readonly typingTtlMs: number;

  constructor(options: ChatStoreOptions = {}) {
    this.maxHistory = options.maxHistory ?? 500;
    this.typingTtlMs = options.typingTtlMs ?? 4_000;
    this.epoch = options.epoch ?? randomUUID().slice(0, 8);
    for (const room of options.rooms ?? DEFAULT_ROOMS) {
      this.rooms.set(room.id, {
        ...room,
        log: [],
        listeners: new Set(),
        online: new Map(),
        typing: new Map(),
        activityListeners: new Set(),
      });
    }
  }

  listRooms(): RoomSummary[] {
    return [...this.rooms.values()].map((r) => ({ id: r.id, title: r.title, online: r.online.size, messages: r.log.length }));
  }

  /** Appends a message and hands it to every live listener of the room. */
  post(roomId: string, author: string, text: string): ChatMessage {
    const room = this.room(roomId);
    const message: ChatMessage = { id: formatMessageId(this.epoch, ++this.seq), room: room.id, author, text, at: new Date() };
    room.log.push(message);
    if (room.log.length > this.maxHistory) room.log.splice(0, room.log.length - this.maxHistory);
    this.setTyping(room.id, author, false);
    for (const listener of [...room.listeners]) listener(message);
    return message;
  }

  /** The newest `limit` messages older than message `before` (or the newest overall). */
  history(roomId: string, opts: { before?: string | undefined; limit: number }): ChatMessage[] {
    const log = this.room(roomId).log;
    const index = opts.before === undefined ? -1 : log.findIndex((m) => m.id === opts.before);
    const end = index < 0 ? log.length : index;
    return log.slice(Math.max(0, end - opts.limit), end);
  }

  /**
   * Messages after `afterId`, or the newest `recent` ones without it. Throws `CONFLICT` when the
   * log no longer holds `afterId`: replaying from the oldest kept message would silently skip some.
   * The message says which case it is: an id of another epoch (the server restarted and its history
   * is gone) or one this history trimmed (too old).
   */
  messagesAfter(roomId: string, afterId: string | undefined, recent = 50): ChatMessage[] {
    const log = this.room(roomId).log;
    if (afterId === undefined) return log.slice(-recent);
    const index = log.findIndex((m) => m.id === afterId);
    if (index >= 0) return log.slice(index + 1);
    const id = parseMessageId(afterId);
    const why =
      id?.epoch === this.epoch && id.seq <= this.seq
        ? 'it is no longer in the history (too old)'
        : `it is from another history (epoch ${id?.epoch ?? 'unknown'}, this server's is ${this.epoch}): the server restarted`;
    throw new DuplexError({ code: 'CONFLICT', message: `cannot resume "${roomId}" after message ${afterId}: ${why}` });
  }

  /** Where message `id` stands in this store's order; 0 for an id of another epoch. */
  seqOf(id: string): number {
    const parsed = parseMessageId(id);
    return parsed?.epoch === this.epoch ? parsed.seq : 0;
  }

  /** Calls `listener` with every new message of the room until the returned function is called. */
  onMessage(roomId: string, listener: (message: ChatMessage) => void): () => void {
    const room = this.room(roomId);
    room.listeners.add(listener);
    return () => room.listeners.delete(listener);
  }

  /** Marks `user` present in the room until the returned function is called. */
  enter(roomId: string, user: string): () => void {
    const room = this.room(roomId);
    room.online.set(user, (room.online.get(user) ?? 0) + 1);
    this.notifyActivity(room);
    this.notifyRooms();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const count = (room.online.get(user) ?? 1) - 1;
      if (count > 0) room.online.set(user, count);
      else {
        room.online.delete(user);
        this.setTyping(room.id, user, false);
      }
      this.notifyActivity(room);
      this.notifyRooms();
    };
  }

  /** Starts or stops "`user` is typing"; it stops by itself after `typingTtlMs`. */
  setTyping(roomId: string, user: string, typing: boolean): void {
    const room = this.room(roomId);
    const timer = room.typing.get(user);
    if (timer !== undefined) clearTimeout(timer);
    if (!typing) {
      if (room.typing.delete(user)) this.notifyActivity(room);
      return;
    }
    const expiry = setTimeout(() => this.setTyping(roomId, user, false), this.typingTtlMs);
    expiry.unref?.();
    const isNew = !room.typing.has(user);
    room.typing.set(user, expiry);
    if (isNew) this.notifyActivity(room);
  }

  activity(roomId: string): RoomActivity {
    const room = this.room(roomId);
    return { online: [...room.online.keys()].sort(), typing: [...room.typing.keys()].sort() };
  }

  /** Calls `listener` whenever the room list changes: someone enters or leaves any room. */
  onRoomsChanged(listener: () => void): () => void {
    this.roomsListeners.add(listener);
    return () => this.roomsListeners.delete(listener);
  }

  /** Calls `listener` whenever presence or typing in the room changes. */
  onActivity(roomId: string, listener: () => void): () => void {
    const room = this.room(roomId);
    room.activityListeners.add(listener);
    return () => room.activityListeners.delete(listener);
  }

  /** Live listeners and present users over all rooms: zero once every subscriber has gone. */
  stats(): { messageListeners: number; activityListeners: number; roomsListeners: number; online: number } {
    let messageListeners = 0;
    let activityListeners = 0;
    let online = 0;
    for (const room of this.rooms.values()) {
      messageListeners += room.listeners.size;
      activityListeners += room.activityListeners.size;
      online += room.online.size;
    }
    return { messageListeners, activityListeners, roomsListeners: this.roomsListeners.size, online };
  }

  /** Clears every typing timer. */
  dispose(): void {
    for (const room of this.rooms.values()) {
      for (const timer of room.typing.values()) clearTimeout(timer);
      room.typing.clear();
    }
  }

  private notifyActivity(room: Room): void {
    for (const listener of [...room.activityListeners]) listener();
  }

  /** Presence changed somewhere: room lists show online counts. */
  private notifyRooms(): void {
    for (const listener of [...this.roomsListeners]) listener();
  }

  private room(id: string): Room {
    const room = this.rooms.get(id);
    if (!room) throw new DuplexError({ code: 'NOT_FOUND', message: `no room "${id}"` });
    return room;
  }
}
