import { initDuplex } from '@duplex/server';
import { z } from 'zod';
import { createLiveQueries, type LivePubSub } from '../src/server/index.js';

/** A todo list whose `list` query is live on the `todos` topic; `add` invalidates it. */
export function createLiveTodoApi(pubsub: LivePubSub, todos: string[] = []) {
  const d = initDuplex.create();
  const live = createLiveQueries({ pubsub });
  const calls = { list: 0 };
  const router = live.attach(
    d.router({
      todo: d.router({
        list: live.query(
          ['todos'],
          d.procedure.query(() => {
            calls.list++;
            return [...todos];
          }),
        ),
        count: d.procedure.query(() => todos.length),
        add: d.procedure.input(z.object({ text: z.string() })).mutation(async ({ input }) => {
          todos.push(input.text);
          await live.invalidate('todos');
          return todos.length;
        }),
      }),
    }),
  );
  return { router, todos, calls, live };
}

export type LiveTodoRouter = ReturnType<typeof createLiveTodoApi>['router'];
