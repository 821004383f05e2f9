import { DuplexError, initDuplex, tracked } from '@duplex/server';
import { deferred } from '@duplex/test-utils';
import { z } from 'zod';

/** A tiny in-memory todo store and its router, shared by the tests of this package. */
export function createTodoApi() {
  const d = initDuplex.create();
  const todos: Array<{ id: number; text: string; done: boolean }> = [{ id: 1, text: 'first', done: false }];
  const calls = { list: 0 };
  const aborted: string[] = [];
  const slowStarted = deferred();

  const router = d.router({
    todo: d.router({
      list: d.procedure.input(z.object({ done: z.boolean() }).optional()).query(({ input }) => {
        calls.list++;
        return todos.filter((todo) => input?.done === undefined || todo.done === input.done);
      }),
      byId: d.procedure.input(z.object({ id: z.number() })).query(({ input }) => {
        const todo = todos.find((item) => item.id === input.id);
        if (!todo) throw new DuplexError({ code: 'NOT_FOUND', message: `no todo ${input.id}` });
        return todo;
      }),
      page: d.procedure
        .input(z.object({ size: z.number(), cursor: z.number().nullish() }))
        .query(({ input }) => {
          const start = input.cursor ?? 0;
          const items = Array.from({ length: input.size }, (_, index) => start + index);
          return { items, next: start + input.size < 6 ? start + input.size : null };
        }),
      add: d.procedure.input(z.object({ text: z.string() })).mutation(({ input }) => {
        const todo = { id: todos.length + 1, text: input.text, done: false };
        todos.push(todo);
        return todo;
      }),
    }),
    slow: d.procedure.query(
      ({ signal }) =>
        new Promise<string>((_resolve, reject) => {
          slowStarted.resolve();
          signal.addEventListener('abort', () => {
            aborted.push('slow');
            reject(new DuplexError({ code: 'CANCELLED' }));
          });
        }),
    ),
    ticks: d.procedure.input(z.object({ from: z.number() })).subscription(async function* ({ input, lastEventId }) {
      const start = lastEventId === undefined ? input.from : Number(lastEventId) + 1;
      for (let n = start; n < input.from + 3; n++) yield tracked(String(n), n);
    }),
  });
  return { router, todos, calls, aborted, slowStarted: slowStarted.promise };
}

export type TodoRouter = ReturnType<typeof createTodoApi>['router'];
