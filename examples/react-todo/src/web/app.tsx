import type { DuplexQueryUtils } from '@duplex/tanstack-query';
import { useSubscription } from '@duplex/tanstack-query/react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { TodoRouter } from '../server/router.js';

/** The todo list: a live query, a form whose mutation invalidates it, and the activity stream. */
export function App({ duplex }: { duplex: DuplexQueryUtils<TodoRouter> }) {
  const queryClient = useQueryClient();
  const todos = useQuery(duplex.todo.list.queryOptions());
  // The page's own mutation refetches the list at once; other pages learn of it through live queries.
  const add = useMutation(duplex.todo.add.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(duplex.todo.list.queryFilter()) }));
  const activity = useQuery(duplex.todo.onAdded.streamedOptions());
  const latest = useSubscription(duplex.todo.onAdded.subscriptionOptions());
  const [text, setText] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate({ text }, { onSuccess: () => setText('') });
  };

  return (
    <main>
      <h1>Todos</h1>
      <p id="status" data-status={latest.status}>
        {latest.status}
        {latest.data ? ` · last added: ${latest.data.text}` : ''}
      </p>
      <form id="add" onSubmit={submit}>
        <input id="text" value={text} onChange={(event) => setText(event.target.value)} placeholder="What needs doing?" />
        <button type="submit" disabled={add.isPending}>
          Add
        </button>
      </form>
      {todos.isPending ? <p id="loading">Loading…</p> : null}
      <ul id="todos" data-ready={todos.isSuccess ? 'true' : 'false'}>
        {todos.data?.map((todo) => (
          <li key={todo.id} data-id={todo.id}>
            {todo.text}
          </li>
        ))}
      </ul>
      <h2>Activity</h2>
      <ul id="activity">
        {activity.data?.map((todo) => (
          <li key={todo.id} data-id={todo.id}>
            added {todo.text}
          </li>
        ))}
      </ul>
    </main>
  );
}
