// Bundled for the browser by the test: exposes a typed duplex client call on `window`.
import { createClient } from '@duplex/client';
import { binary } from '@duplex/client/binary';
import type { BytesRouter } from './router.js';

const url = new URL('/rpc', location.href);
url.protocol = 'ws:';
// Bytes travel in binary frames only with the opt-in `binary` (docs/client.md#binary-data).
const client = createClient<BytesRouter>({ url: url.href, binary });

/** Sends `size` bytes (0, 1, 2, … mod 256), reads the reversed copy and `count` streamed chunks. */
async function roundTrip(size: number, count: number): Promise<{ sentOk: boolean; length: number; chunks: Array<{ i: number; length: number; allI: boolean; isBytes: boolean }> }> {
  const bytes = new Uint8Array(size).map((_, i) => i % 256);
  const result = await client.reverse.mutate({ name: 'file.bin', bytes });
  const expected = bytes.slice().reverse();
  const sentOk = result.reversed instanceof Uint8Array && result.reversed.every((b, i) => b === expected[i]);
  const chunks = [];
  for await (const chunk of client.chunks.iterate({ count, size: 1_000 })) {
    chunks.push({ i: chunk.i, length: chunk.bytes.byteLength, allI: chunk.bytes.every((b) => b === chunk.i), isBytes: chunk.bytes instanceof Uint8Array });
  }
  return { sentOk, length: result.length, chunks };
}

(window as unknown as { roundTrip: typeof roundTrip }).roundTrip = roundTrip;
document.title = 'ready';
