import type { ClientState, DuplexClient } from '@duplex/client';
import type { ChatRouter } from '../server/router.js';
import type { ChatMessage, RoomActivity, RoomSummary } from '../server/store.js';
import { parseMessageId } from '../shared/message-id.js';
import { byId, h, show } from './dom.js';
import { errorText, fieldErrors } from './error-text.js';
import type { MessageCache } from './message-cache.js';

/** Mirrors the server's limit, only for the character counter: the server decides. */
const MAX_MESSAGE_LENGTH = 500;
const TYPING_EVERY_MS = 2_000;

/** Why a resume failed with `CONFLICT`, as {@link ChatApp.explainConflict} tells it. */
const CONFLICT_NOTICES = {
  restarted: 'Server restarted — reconnected; history reloaded',
  gap: 'Some messages were too old to replay; showing the recent history',
  unexplained: 'Could not replay what you missed; showing the recent history',
} as const;

/** The chat page once a name is chosen: rooms, messages, typing, connection state. */
export class ChatApp {
  private readonly ui = {
    chat: byId('chat'),
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
    textError: byId('text-error'),
    count: byId('count'),
    error: byId('error'),
  };
  private room = '';
  private messages: ChatMessage[] = [];
  private stopMessages: (() => void) | undefined;
  private stopActivity: (() => void) | undefined;
  private activity: RoomActivity | undefined;
  private everOpen = false;
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
    this.ui.text.addEventListener('input', () => {
      this.showFieldError('');
      this.onTyping();
    });
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
    this.activity = undefined;
    this.showActivity();
    const activity = this.client.rooms.activity.subscribe({ room }, {
      onData: (snapshot) => {
        this.activity = snapshot;
        this.showActivity();
      },
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
        // The server cannot resume after our last message: start over from its recent history.
        const lastId = this.messages.at(-1)?.id;
        this.cache.clear(room);
        this.messages = [];
        this.ui.messages.replaceChildren();
        this.subscribeMessages(room, undefined);
        void this.explainConflict(lastId);
      },
    });
    this.stopMessages = () => subscription.unsubscribe();
  }

  /**
   * Says why a resume failed. The server answers `CONFLICT` both when it restarted and lost its
   * history and when our last message was trimmed from it; the message id's epoch tells them apart
   * (shared/message-id.ts): another epoch than the server's is a restart, the same one a gap.
   */
  private async explainConflict(lastId: string | undefined): Promise<void> {
    let kind: keyof typeof CONFLICT_NOTICES = 'unexplained';
    try {
      const { epoch } = await this.client.server.info.query();
      kind = lastId !== undefined && parseMessageId(lastId)?.epoch === epoch ? 'gap' : 'restarted';
    } catch {
      // Offline again: the next resume will tell; say only what is certain.
    }
    this.notice(kind, CONFLICT_NOTICES[kind]);
  }

  private async post(): Promise<void> {
    show(this.ui.error, '');
    this.showFieldError('');
    const text = this.ui.text.value;
    try {
      await this.client.messages.post.mutate({ room: this.room, text });
      // Clear only what was sent: the next message may have been typed while this one travelled.
      if (this.ui.text.value === text) this.ui.text.value = '';
      this.lastTypingAt = 0;
      this.updateCount();
    } catch (error) {
      const { fields, rest } = fieldErrors(error);
      this.showFieldError(fields.get('text') ?? '');
      show(this.ui.error, rest);
    }
  }

  /** A validation message beside the message field (`aria-invalid` while it shows). */
  private showFieldError(text: string): void {
    show(this.ui.textError, text);
    this.ui.text.toggleAttribute('aria-invalid', text !== '');
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
          h('span', { class: 'online', 'data-online': String(room.online) }, `${room.online} online`),
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

  /**
   * Who is here and who is typing. While this page's own link is down, the last list may be stale
   * (the server drops a page that left): it says so instead, and style.css greys out the counts.
   */
  private showActivity(): void {
    const offline = this.client.state !== 'open';
    this.ui.chat.dataset.offline = String(offline);
    const typing = offline ? [] : (this.activity?.typing.filter((name) => name !== this.me) ?? []);
    this.ui.typing.textContent = typing.length === 0 ? '' : `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`;
    this.ui.online.textContent = offline
      ? this.everOpen ? 'You are offline' : 'Connecting…'
      : this.activity ? `online: ${this.activity.online.join(', ')}` : '';
  }

  private showState(state: ClientState): void {
    const { dataset } = this.ui.state;
    this.ui.state.textContent = state;
    dataset.state = state;
    if (state === 'open') {
      // The client resubscribes by itself, tracked rooms from their last message: nothing is lost.
      this.notice(this.everOpen ? 'back-online' : '', this.everOpen ? 'Back online' : '');
      this.everOpen = true;
      dataset.everOpen = 'true';
    } else if (state === 'reconnecting') {
      if (this.everOpen) this.notice('reconnecting', 'Reconnecting…');
      else this.notice('unreachable', `Cannot connect to ${this.serverUrl}, retrying…`);
    } else if (state === 'closed') this.notice('closed', 'Disconnected. Reload the page to connect again.');
    this.showActivity();
  }

  /**
   * Shows `text` in the notice bar, or hides it when empty. `kind` goes to its `data-kind`, for
   * tests and style.css, which fades the passing kinds (`back-online`, `restarted`, `gap`) out.
   */
  private notice(kind: string, text: string): void {
    this.ui.notice.dataset.kind = kind;
    show(this.ui.notice, text);
  }

  private updateCount(): void {
    const length = this.ui.text.value.length;
    this.ui.count.textContent = `${length}/${MAX_MESSAGE_LENGTH}`;
    this.ui.count.classList.toggle('over', length > MAX_MESSAGE_LENGTH);
  }
}
