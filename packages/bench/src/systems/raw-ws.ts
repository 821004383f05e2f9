import type { BenchSystem } from '../system.js';
import { connectRaw, type RawCodec, startRawServer } from './raw-ws-core.js';

const plain: RawCodec = { encode: (value) => value, decode: (payload) => payload, validate: (_method, input) => input };

/** The floor: hand-written JSON `{ id, ... }` request/response on `ws`, no validation. */
export const rawWs: BenchSystem = {
  id: 'raw-ws',
  label: 'raw ws (floor)',
  richTypes: false,
  startServer: ({ host }) => startRawServer(plain, host),
  connect: ({ host, port }) => connectRaw(plain, host, port),
};
