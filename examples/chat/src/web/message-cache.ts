import type { ChatMessage } from '../server/store.js';

const KEEP = 200;

/**
 * The messages a tab has shown, per room, in sessionStorage: after a reload the page shows them
 * at once and asks the server only for what came after the last one.
 */
export class MessageCache {
  constructor(private readonly storage: Storage = sessionStorage) {}

  load(room: string): ChatMessage[] {
    try {
      const raw = JSON.parse(this.storage.getItem(this.key(room)) ?? '[]') as Array<Omit<ChatMessage, 'at'> & { at: string }>;
      return raw.map((m) => ({ ...m, at: new Date(m.at) }));
    } catch {
      return [];
    }
  }

  save(room: string, messages: readonly ChatMessage[]): void {
    try {
      this.storage.setItem(this.key(room), JSON.stringify(messages.slice(-KEEP)));
    } catch {
      // Storage full or disabled: the page still works, a reload just starts from recent history.
    }
  }

  clear(room: string): void {
    this.storage.removeItem(this.key(room));
  }

  private key(room: string): string {
    return `duplex-chat:messages:${room}`;
  }
}
