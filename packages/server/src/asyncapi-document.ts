import { type AnyProcedure, type AnyRouter, ERROR_CODES, isStreamSchema, SUBPROTOCOL, type StandardSchemaV1 } from '@duplex/core';
import { type JsonSchema, acceptsUndefined, componentKey, jsonSchemaOf } from './json-schema-of.js';
import { envelopeMessages, type MessageObject, procedureEnvelope } from './asyncapi-messages.js';

/** An AsyncAPI 3 server object (https://www.asyncapi.com/docs/reference/specification/v3.0.0#serverObject). */
export interface AsyncApiServer {
  /** Host and optional port, e.g. `api.example.com` or `localhost:3000`. */
  host: string;
  protocol: 'ws' | 'wss';
  /** The path the duplex socket is served on, e.g. `/rpc`. */
  pathname?: string;
  description?: string;
}

/** Options of {@link createAsyncApiDocument}. */
export interface AsyncApiOptions {
  info: { title: string; version: string; description?: string };
  /** Where the API runs, by name (`production`, `local`, …). @default none */
  servers?: Record<string, AsyncApiServer>;
  /**
   * The channel's address: the path the duplex socket is served on.
   * @default the first server's `pathname`, else '/'
   */
  address?: string;
}

/** A reference object. */
export interface AsyncApiRef {
  $ref: string;
}

/** An AsyncAPI 3 operation, as this generator writes it. */
export interface AsyncApiOperation {
  action: 'send' | 'receive';
  channel: AsyncApiRef;
  title: string;
  summary?: string;
  description?: string;
  tags?: Array<{ name: string }>;
  messages: AsyncApiRef[];
  reply?: { channel: AsyncApiRef; messages: AsyncApiRef[] };
}

/** The AsyncAPI 3.0 document of a router (see docs/asyncapi.md for how duplex maps onto it). */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description?: string };
  defaultContentType: 'application/json';
  servers?: Record<string, AsyncApiServer>;
  channels: Record<string, { address: string; title: string; description: string; messages: Record<string, AsyncApiRef> }>;
  operations: Record<string, AsyncApiOperation>;
  components: { messages: Record<string, MessageObject>; schemas: Record<string, JsonSchema> };
}

/** The one channel: every message of every procedure travels on the same WebSocket. */
export const ASYNCAPI_CHANNEL = 'duplex';

const CODEC_NOTE =
  'Payloads (`input`, `data`) are shown as the `json` codec carries them. With the default `superjson` codec each ' +
  'payload field holds `{ "json": <this value>, "meta"?: {...} }` instead (docs/protocol.md §3).';

/**
 * Hands out keys unique within one map: the preferred one, else with `_2`, `_3`… (a procedure
 * named `ping` must not replace the connection-level `ping` operation, nor two paths that only
 * differ in characters AsyncAPI refuses share a key).
 */
function claimer(taken: Iterable<string> = []): (preferred: string) => string {
  const used = new Set(taken);
  return (preferred) => {
    let key = preferred;
    for (let n = 2; used.has(key); n++) key = `${preferred}_${n}`;
    used.add(key);
    return key;
  };
}

/**
 * The AsyncAPI 3.0 document of a router: one channel (the socket), queries and mutations as
 * `receive` operations with a `reply`, subscriptions as a `receive` of their `sub` message plus a
 * `send` operation of their events, with schemas from each procedure's Standard JSON Schema
 * (zod 4's `toJSONSchema`). Validates with `@asyncapi/parser`.
 * @example
 * const doc = createAsyncApiDocument(appRouter, {
 *   info: { title: 'Chat', version: '1.0.0' },
 *   servers: { local: { host: 'localhost:3000', protocol: 'ws', pathname: '/rpc' } },
 * });
 */
export function createAsyncApiDocument(router: AnyRouter, options: AsyncApiOptions): AsyncApiDocument {
  const firstServer = Object.values(options.servers ?? {})[0];
  const channelRef = { $ref: `#/channels/${ASYNCAPI_CHANNEL}` };
  const messages: Record<string, MessageObject> = { ...envelopeMessages(ERROR_CODES) };
  const schemas: Record<string, JsonSchema> = {};
  const operations: Record<string, AsyncApiOperation> = {};
  const ref = (name: string): AsyncApiRef => ({ $ref: `#/channels/${ASYNCAPI_CHANNEL}/messages/${name}` });

  const schemaOf = (schema: StandardSchemaV1 | undefined, io: 'input' | 'output', key: string): JsonSchema | undefined => {
    if (!schema) return undefined;
    // A stream (`streamOf(item)`) is described by its item's schema; the messages say it streams.
    const converted = jsonSchemaOf(isStreamSchema(schema) ? schema['~item'] : schema, io, `${key}.${io}`);
    Object.assign(schemas, converted.definitions);
    return converted.schema;
  };

  operations.hello = {
    action: 'receive',
    channel: channelRef,
    title: 'hello',
    summary: 'First message on every connection; answered by `ready` (or a close 4400/4401/4403/4408).',
    messages: [ref('hello')],
    reply: { channel: channelRef, messages: [ref('ready')] },
  };
  operations.ping = {
    action: 'receive',
    channel: channelRef,
    title: 'ping',
    summary: 'Application-level heartbeat; answered by `pong`. The server pings too, and the client must answer `pong`.',
    messages: [ref('ping')],
    reply: { channel: channelRef, messages: [ref('pong')] },
  };
  operations.goaway = {
    action: 'send',
    channel: channelRef,
    title: 'goaway',
    summary: 'The server is draining: finish up and reconnect, possibly elsewhere. A close 1001 follows.',
    messages: [ref('goaway')],
  };

  const operationKey = claimer(Object.keys(operations));
  const messageKey = claimer(Object.keys(messages));
  const schemaPrefix = claimer();
  const paths = [...(router['~def'].procedures as ReadonlyMap<string, AnyProcedure>).keys()].sort();
  for (const path of paths) {
    const procedure = router['~def'].procedures.get(path) as AnyProcedure;
    const { kind, inputSchema, outputSchema } = procedure['~def'];
    // Messages and schemas keep the path's own name even when the operation's key had to change.
    const base = componentKey(path);
    const key = operationKey(base);
    const prefix = schemaPrefix(base);
    const envelope = procedureEnvelope({
      path,
      kind,
      input: schemaOf(inputSchema, 'input', prefix),
      inputRequired: !acceptsUndefined(inputSchema),
      output: schemaOf(outputSchema, 'output', prefix),
      inputStream: isStreamSchema(inputSchema),
      outputStream: isStreamSchema(outputSchema),
    });
    const tags = [{ name: kind }];
    if (kind === 'subscription') {
      const sub = messageKey(`${base}.sub`);
      const data = messageKey(`${base}.data`);
      messages[sub] = envelope.request;
      messages[data] = envelope.response;
      operations[operationKey(`${base}.subscribe`)] = {
        action: 'receive',
        channel: channelRef,
        title: `subscribe to ${path}`,
        summary: `Starts subscription \`${path}\`; events follow as \`${key}\` (send). End it early with \`cancel\`.`,
        tags,
        messages: [ref(sub), ref('cancel')],
      };
      operations[key] = {
        action: 'send',
        channel: channelRef,
        title: path,
        summary: `Events of subscription \`${path}\`: \`data\` per event, then \`done\` (source ended) or \`error\`.`,
        tags,
        messages: [ref(data), ref('done'), ref('error')],
      };
    } else {
      const call = messageKey(`${base}.call`);
      const result = messageKey(`${base}.result`);
      messages[call] = envelope.request;
      messages[result] = envelope.response;
      // Streams (protocol.md §7.2): items and credit flow on the call's id, ended by done.
      const received = [ref(call)];
      const replies = [ref(result)];
      if (envelope.inputItem) {
        const item = messageKey(`${base}.inputItem`);
        messages[item] = envelope.inputItem;
        received.push(ref(item), ref('done'));
        replies.push(ref('credit'));
      }
      if (envelope.outputItem) {
        const item = messageKey(`${base}.outputItem`);
        messages[item] = envelope.outputItem;
        replies.push(ref(item), ref('done'));
        received.push(ref('credit'));
      }
      operations[key] = {
        action: 'receive',
        channel: channelRef,
        title: path,
        summary: `${kind === 'query' ? 'Query' : 'Mutation'} \`${path}\`: a \`call\` answered by \`result\` or \`error\` with the same id.`,
        tags,
        messages: [...received, ref('cancel')],
        reply: { channel: channelRef, messages: [...replies, ref('error')] },
      };
    }
  }
  const info = { ...options.info, description: [options.info.description, CODEC_NOTE].filter(Boolean).join('\n\n') };
  const channelMessages: Record<string, AsyncApiRef> = {};
  for (const name of Object.keys(messages)) channelMessages[name] = { $ref: `#/components/messages/${name}` };
  return {
    asyncapi: '3.0.0',
    info,
    defaultContentType: 'application/json',
    ...(options.servers ? { servers: options.servers } : {}),
    channels: {
      [ASYNCAPI_CHANNEL]: {
        address: options.address ?? firstServer?.pathname ?? '/',
        title: `duplex WebSocket (${SUBPROTOCOL})`,
        description:
          `One WebSocket with subprotocol \`${SUBPROTOCOL}\` carries every call and subscription, each message tagged ` +
          'with its request `id`. A text frame holds one message or an array of them (docs/protocol.md §2).',
        messages: channelMessages,
      },
    },
    operations,
    components: { messages, schemas },
  };
}
