import { DuplexError, initDuplex, tracked } from '@duplex/server';
import { z } from 'zod';
import { TodoStore } from './store.js';

/** Per-connection context: who is calling (from `connectionParams`). */
export interface Context {
  user: string | null;
}

const d = initDuplex.context<Context>().create();

const signedIn = d.procedure.use(async ({ ctx, next }) => {
  if (!ctx.user) throw new DuplexError({ code: 'UNAUTHORIZED', message: 'Pass connectionParams: { user }' });
  return next({ ctx: { user: ctx.user } });
});

/** Builds the API over a store (one per server, in memory). */
export function createTodoRouter(store = new TodoStore()) {
  return d.router({
    todos: d.router({
      list: d.procedure.query(() => store.list()),
      add: signedIn
        .input(z.object({ title: z.string().trim().min(1).max(200) }))
        .mutation(({ input, ctx }) => store.add(input.title, ctx.user)),
      toggle: signedIn.input(z.object({ id: z.string() })).mutation(({ input }) => {
        const todo = store.toggle(input.id);
        if (!todo) throw new DuplexError({ code: 'NOT_FOUND', message: `no todo ${input.id}` });
        return todo;
      }),
    }),
    /** Every change, resumable: after a reconnect the client gets only what it missed. */
    onChange: d.procedure.subscription(async function* ({ signal, lastEventId }) {
      for await (const change of store.changes({ signal, after: lastEventId })) yield tracked(change.id, change);
    }),
  });
}

export type TodoRouter = ReturnType<typeof createTodoRouter>;
