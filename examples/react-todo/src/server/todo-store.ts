/** One todo. */
export interface Todo {
  id: number;
  text: string;
}

/**
 * The example's data, kept outside the server so a restarted server (in the browser test) serves
 * the same list: a real app has a database here.
 */
export class TodoStore {
  readonly todos: Todo[] = [];
  private readonly listeners = new Set<(todo: Todo) => void>();

  add(text: string): Todo {
    const todo = { id: this.todos.length + 1, text };
    this.todos.push(todo);
    for (const listener of this.listeners) listener(todo);
    return todo;
  }

  /**
   * Every todo added after `lastId`, then each new one until `signal` aborts: the resume source of
   * the `onAdded` subscription. Listening starts before the replay so nothing falls in between.
   */
  async *since(lastId: number, signal: AbortSignal): AsyncGenerator<Todo> {
    const pending: Todo[] = [];
    let wake: (() => void) | undefined;
    const listener = (todo: Todo) => {
      pending.push(todo);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.listeners.add(listener);
    signal.addEventListener('abort', onAbort);
    try {
      let last = lastId;
      for (const todo of this.todos.filter((item) => item.id > last)) {
        last = todo.id;
        yield todo;
      }
      while (!signal.aborted) {
        const todo = pending.shift();
        if (todo === undefined) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        } else if (todo.id > last) {
          last = todo.id;
          yield todo;
        }
      }
    } finally {
      this.listeners.delete(listener);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
