import { createWsServer } from '@duplex/server';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo-client.js';
import { createTodoRouter } from '../src/router.js';

describe('todo example', () => {
  it('runs the demo client against the server', async () => {
    const server = createWsServer({
      router: createTodoRouter(),
      createContext: ({ connectionParams }) => ({ user: (connectionParams?.user as string | undefined) ?? null }),
    });
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    const lines: string[] = [];
    const result = await runDemo(`ws://127.0.0.1:${port}`, 'ada', (line) => lines.push(line));
    expect(result.added.createdAt).toBeInstanceOf(Date);
    expect(result.list).toMatchObject([{ title: 'Try duplex', done: true, by: 'ada' }]);
    expect(result.changes).toEqual(['added:Try duplex', 'toggled:Try duplex']);
    expect(result.errorCode).toBe('BAD_REQUEST');
    expect(lines.join('\n')).toContain('query todos.list → [x] Try duplex');
    await server.close();
    expect(server.stats()).toEqual({ connections: 0, calls: 0, subscriptions: 0, bufferedBytes: 0 });
  });
});
