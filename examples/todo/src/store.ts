import { EventEmitter, on } from 'node:events';
import { DuplexError } from '@duplex/server';

/** One todo item. */
export interface Todo {
  id: string;
  title: string;
  done: boolean;
  by: string;
  createdAt: Date;
}

/** A change event, with a monotonic id for resume. */
export interface TodoChange {
  id: string;
  kind: 'added' | 'toggled';
  todo: Todo;
}

/** An in-memory todo list with a change log. */
export class TodoStore {
  private readonly todos = new Map<string, Todo>();
  private readonly log: TodoChange[] = [];
  private readonly events = new EventEmitter();
  private seq = 0;

  list(): Todo[] {
    return [...this.todos.values()];
  }

  add(title: string, by: string): Todo {
    const todo: Todo = { id: String(this.todos.size + 1), title, done: false, by, createdAt: new Date() };
    this.todos.set(todo.id, todo);
    this.emit('added', todo);
    return todo;
  }

  toggle(id: string): Todo | undefined {
    const todo = this.todos.get(id);
    if (!todo) return undefined;
    todo.done = !todo.done;
    this.emit('toggled', todo);
    return todo;
  }

  /** Changes after `after` (all of them without it, replayed from the log), then live ones until `signal` aborts. */
  async *changes(opts: { signal: AbortSignal; after: string | undefined }): AsyncGenerator<TodoChange> {
    const live = on(this.events, 'change', { signal: opts.signal });
    const from = opts.after === undefined ? 0 : Number(opts.after);
    // An id this log never issued: resuming would silently skip or repeat events.
    if (!Number.isInteger(from) || from < 0 || from > this.log.length)
      throw new DuplexError({ code: 'CONFLICT', message: `cannot resume after event ${opts.after}` });
    const replayed = this.log.slice(from);
    let last = from;
    for (const change of replayed) {
      yield change;
      last = Number(change.id);
    }
    try {
      for await (const [change] of live as AsyncIterable<[TodoChange]>) {
        if (Number(change.id) <= last) continue;
        yield change;
      }
    } catch (error) {
      if (!opts.signal.aborted) throw error;
    }
  }

  private emit(kind: TodoChange['kind'], todo: Todo): void {
    const change: TodoChange = { id: String(++this.seq), kind, todo: { ...todo } };
    this.log.push(change);
    this.events.emit('change', change);
  }
}
