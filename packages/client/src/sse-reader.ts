import { base64ToBytes, FRAME_EVENT } from '@duplex/core';

/**
 * The `data` of each event of a `text/event-stream` body (one `data:` line per event, as the
 * duplex server writes them; comments and other fields are skipped). A `frame` event's data is a
 * base64 binary frame (protocol.md §12.1) and comes as its bytes.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<string | Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        let frame = false;
        for (const line of block.split('\n')) {
          if (line === `event: ${FRAME_EVENT}`) frame = true;
          else if (line.startsWith('data: ')) yield frame ? base64ToBytes(line.slice(6)) : line.slice(6);
        }
        end = buffered.indexOf('\n\n');
      }
      const { done, value } = await reader.read();
      if (done) return;
      buffered += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
