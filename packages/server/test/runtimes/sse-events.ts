/**
 * Reads Server-Sent Events one at a time from a body that stays open: each event's `data:` line,
 * parsed as JSON. Runtime-neutral (Node, Bun, Deno), so the HTTP suite and the Node-only tests
 * share it.
 */
export interface SseEvents {
  /** The next event's data, or undefined once the body has ended. */
  next(): Promise<{ t: string; data?: unknown } | undefined>;
  cancel(): Promise<void>;
}

export function sseEvents(body: ReadableStream<Uint8Array>): SseEvents {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    async next() {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const line = block.split('\n').find((l) => l.startsWith('data: '));
          if (line) return JSON.parse(line.slice(6));
          continue;
        }
        const { done, value } = await reader.read();
        if (done) return undefined;
        buffered += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}
