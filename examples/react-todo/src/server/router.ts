import { initDuplex, tracked } from '@duplex/server';
import { createLiveQueries, type LivePubSub } from '@duplex/tanstack-query/server';
import { z } from 'zod';
import type { TodoStore } from './todo-store.js';

/** Builds the todo API over a store; `todo.list` is a live query on the `todos` topic. */
export function createTodoRouter(store: TodoStore, pubsub: LivePubSub) {
  const d = initDuplex.create();
  const live = createLiveQueries({ pubsub });
  return live.attach(
    d.router({
      todo: d.router({
        list: live.query(
          ['todos'],
          d.procedure.query(() => store.todos),
        ),
        add: d.procedure.input(z.object({ text: z.string().trim().min(1).max(200) })).mutation(async ({ input }) => {
          const todo = store.add(input.text);
          await live.invalidate('todos');
          return todo;
        }),
        onAdded: d.procedure.subscription(async function* ({ signal, lastEventId }) {
          for await (const todo of store.since(Number(lastEventId ?? 0), signal)) yield tracked(String(todo.id), todo);
        }),
      }),
    }),
  );
}

/** The router type the front end imports (types only). */
export type TodoRouter = ReturnType<typeof createTodoRouter>;
