import { type ClientOptions, createClient } from '@duplex/client';
import type { SystemClient } from '../system.js';
import type { DuplexBenchRouter } from './duplex-router.js';

/**
 * The bench's client calls on a duplex client of the shared router, whatever its transport
 * (socket, HTTP, auto). `mutation` sends `echo` to `echoMutation`; `create` is a `--base` build's
 * `createClient`.
 */
export function duplexClient(options: ClientOptions, { mutation = false, create = createClient }: { mutation?: boolean; create?: typeof createClient } = {}): SystemClient {
  const client = create<DuplexBenchRouter>(options);
  return {
    echo: mutation ? (input) => client.echoMutation.mutate(input) : (input) => client.echo.query(input),
    echoLarge: (input) => client.echoLarge.query(input),
    echoRich: (input) => client.echoRich.mutate(input),
    subscribe(onData, shape = 'plain') {
      const sub = (shape === 'dated' ? client.datedEvents : client.events).subscribe(undefined, { onData });
      return () => sub.unsubscribe();
    },
    close: () => client.close(),
  };
}
