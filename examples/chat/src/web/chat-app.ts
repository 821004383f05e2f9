import { type DuplexClient, DuplexError } from '@duplex/client';
import type { ChatRouter } from '../server/router.js';
import type { ChatMessage, RoomActivity, RoomSummary } from '../server/store.js';
import { byId, h, show } from './dom.js';
import type { MessageCache } from './message-cache.js';

/** Mirrors the server's limit, only for the character counter: the server decides. */
const MAX_MESSAGE_LENGTH = 500;
const TYPING_EVERY_MS = 2_000;

/** A DuplexError as one line for the page: validation issues when there are some. */
export function errorText(error: unknown): string {
  if (!(error instanceof DuplexError)) return String(error);
  const issues = error.issues?.map((issue) => issue.message).join('; ');
  return `${error.code}: ${issues || error.message}`;
}

/** The chat page once a name is chosen: rooms, messages, typing, connection state. */
export class ChatApp {
  private readonly ui = {
    state: byId('state'),
    notice: byId('notice'),
    rooms: byId('rooms'),
    title: byId('room-title'),
    older: byId<HTMLButtonElement>('older'),
    messages: byId('messages'),
    typing: byId('typing'),
    online: byId('online'),
    composer: byId<HTMLFormElement>('composer'),
    text: byId<HTMLInputElement>('text'),
    count: byId('count'),
    error: byId('error'),
  };
  private room = '';
  private messages: ChatMessage[] = [];
  private stopMessages: (() => void) | undefined;
  private stopActivity: (() => void) | undefined;
  private lastTypingAt = 0;

  constructor(
    private readonly client: DuplexClient<ChatRouter>,
    private readonly cache: MessageCache,
    private readonly me: string,
    private readonly serverUrl: string,
  ) {}

  start(room: string): void {
    this.showState(this.client.state);
    this.client.on('state', (state) => this.showState(state));
    this.ui.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.post();
    });
    this.ui.text.addEventListener('input', () => this.onTyping());
    this.ui.older.addEventListener('click', () => void this.loadOlder());
    this.updateCount();
    this.watchRooms();
    this.enter(room);
  }

  /** Switches to `room`: shows what this tab kept of it, then resumes from the last kept message. */
  enter(room: string): void {
    this.stopMessages?.();
    this.stopActivity?.();
    this.room = room;
    history.replaceState(null, '', `#${encodeURIComponent(room)}`);
    this.ui.title.textContent = `# ${room}`;
    for (const button of this.ui.rooms.querySelectorAll('button')) button.setAttribute('aria-current', String(button.dataset.room === room));
    this.messages = this.cache.load(room);
    this.ui.messages.replaceChildren(...this.messages.map((m) => this.renderMessage(m)));
    const after = this.messages.at(-1)?.id;
    this.ui.messages.dataset.resumedAfter = after ?? '';
    this.subscribeMessages(room, after);
    const activity = this.client.rooms.activity.subscribe({ room }, {
      onData: (snapshot) => this.showActivity(snapshot),
      onError: (error) => show(this.ui.error, errorText(error)),
    });
    this.stopActivity = () => activity.unsubscribe();
  }

  private subscribeMessages(room: string, after: string | undefined): void {
    const subscription = this.client.messages.onRoom.subscribe({ room, after }, {
      onData: (message) => {
        this.messages.push(message);
        this.cache.save(room, this.messages);
        this.ui.messages.append(this.renderMessage(message));
        this.ui.messages.scrollTop = this.ui.messages.scrollHeight;
      },
      onError: (error) => {
        if (error.code !== 'CONFLICT') return show(this.ui.error, errorText(error));
        // The server no longer has our last message: start over from its recent history.
        show(this.ui.notice, 'Some messages are too old to replay; showing the recent history.');
        this.cache.clear(room);
        this.messages = [];
        this.ui.messages.replaceChildren();
        this.subscribeMessages(room, undefined);
      },
    });
    this.stopMessages = () => subscription.unsubscribe();
  }

  private async post(): Promise<void> {
    show(this.ui.error, '');
    const text = this.ui.text.value;
    try {
      await this.client.messages.post.mutate({ room: this.room, text });
      // Clear only what was sent: the next message may have been typed while this one travelled.
      if (this.ui.text.value === text) this.ui.text.value = '';
      this.lastTypingAt = 0;
      this.updateCount();
    } catch (error) {
      show(this.ui.error, errorText(error));
    }
  }

  private onTyping(): void {
    this.updateCount();
    const now = Date.now();
    if (this.ui.text.value === '' || now - this.lastTypingAt < TYPING_EVERY_MS) return;
    this.lastTypingAt = now;
    this.client.messages.typing.mutate({ room: this.room, typing: true }).catch(() => {});
  }

  private async loadOlder(): Promise<void> {
    const before = this.messages[0]?.id;
    try {
      const older = await this.client.rooms.history.query({ room: this.room, before, limit: 50 });
      if (older.length === 0 || before === undefined) {
        this.ui.older.hidden = true;
        return;
      }
      this.messages.unshift(...older);
      this.ui.messages.prepend(...older.map((m) => this.renderMessage(m)));
    } catch (error) {
      show(this.ui.error, errorText(error));
    }
  }

  /** The room list, live: online counts change as people enter and leave rooms. */
  private watchRooms(): void {
    this.client.rooms.onList.subscribe(undefined, {
      onData: (rooms) => this.showRooms(rooms),
      onError: (error) => show(this.ui.error, errorText(error)),
    });
  }

  private showRooms(rooms: RoomSummary[]): void {
    this.ui.rooms.replaceChildren(
      ...rooms.map((room) => {
        const button = h(
          'button',
          { type: 'button', 'data-room': room.id, 'aria-current': String(room.id === this.room) },
          `# ${room.title}`,
          h('span', { class: 'online', 'data-online': String(room.online), title: 'online now' }, ` ${room.online}`),
        );
        button.addEventListener('click', () => this.enter(room.id));
        return h('li', {}, button);
      }),
    );
  }

  private renderMessage(message: ChatMessage): HTMLLIElement {
    const time = h('time', { datetime: message.at.toISOString() }, message.at.toLocaleTimeString());
    return h('li', { 'data-id': message.id }, h('span', { class: 'author' }, message.author), h('span', { class: 'text' }, message.text), time);
  }

  private showActivity(activity: RoomActivity): void {
    const typing = activity.typing.filter((name) => name !== this.me);
    this.ui.typing.textContent = typing.length === 0 ? '' : `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`;
    this.ui.online.textContent = `online: ${activity.online.join(', ')}`;
  }

  private showState(state: string): void {
    const { dataset } = this.ui.state;
    this.ui.state.textContent = state;
    dataset.state = state;
    if (state === 'open') {
      dataset.everOpen = 'true';
      show(this.ui.notice, '');
    } else if (state === 'reconnecting') {
      show(this.ui.notice, dataset.everOpen === 'true' ? 'Connection lost, reconnecting…' : `Cannot connect to ${this.serverUrl}, retrying…`);
    }
  }

  private updateCount(): void {
    const length = this.ui.text.value.length;
    this.ui.count.textContent = `${length}/${MAX_MESSAGE_LENGTH}`;
    this.ui.count.classList.toggle('over', length > MAX_MESSAGE_LENGTH);
  }
}
