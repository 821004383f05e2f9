import superjson, { type SuperJSONResult } from 'superjson';
import { largeSchema, richSchema, smallSchema } from '../payloads.js';
import type { BenchSystem } from '../system.js';
import { connectRaw, type RawCodec, startRawServer } from './raw-ws-core.js';

const schemas = { echo: smallSchema, echoLarge: largeSchema, echoRich: richSchema };

const typed: RawCodec = {
  encode: (value) => superjson.serialize(value),
  decode: (payload) => superjson.deserialize(payload as SuperJSONResult),
  validate: (method, input) => schemas[method as keyof typeof schemas].parse(input),
};

/** The floor for typed RPC: raw ws plus the work zod + superjson must do (parse, serialize, deserialize). */
export const rawWsTyped: BenchSystem = {
  id: 'raw-ws-typed',
  label: 'raw ws + zod + superjson',
  richTypes: true,
  startServer: ({ host }) => startRawServer(typed, host),
  connect: ({ host, port }) => connectRaw(typed, host, port),
};
