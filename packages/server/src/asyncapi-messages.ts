import type { ProcedureKind } from '@duplex/core';
import type { JsonSchema } from './json-schema-of.js';

/** An AsyncAPI 3 message object, as this generator writes it. */
export interface MessageObject {
  name: string;
  title: string;
  summary: string;
  contentType: 'application/json';
  payload: JsonSchema;
}

const id: JsonSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Request id chosen by the client.' };
const anyValue: JsonSchema = { description: 'Not declared: the procedure has no schema for it.' };

function envelope(t: string, properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return { type: 'object', properties: { t: { const: t }, ...properties }, required: ['t', ...required] };
}

function message(name: string, summary: string, payload: JsonSchema): MessageObject {
  return { name, title: name, summary, contentType: 'application/json', payload };
}

/** The messages every connection uses, whatever the router (docs/protocol.md §4–§5). */
export function envelopeMessages(errorCodes: readonly string[]): Record<string, MessageObject> {
  const errorShape: JsonSchema = {
    type: 'object',
    properties: {
      code: { type: 'string', enum: [...errorCodes] },
      message: { type: 'string' },
      issues: { type: 'array', items: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } },
      retryable: { type: 'boolean' },
      data: { description: "What the router's errorFormatter added, if anything." },
    },
    required: ['code', 'message'],
  };
  return {
    hello: message(
      'hello',
      'First message of every connection: protocol version, codec and connectionParams.',
      envelope(
        'hello',
        {
          v: { const: 1 },
          codec: { type: 'string', enum: ['json', 'superjson'], description: 'Payload codec (the server may offer others).' },
          params: { type: 'object', description: 'connectionParams, passed to createContext.' },
          sid: { type: 'string', minLength: 16, maxLength: 128 },
          seq: { type: 'integer', minimum: 0 },
        },
        ['v', 'codec'],
      ),
    ),
    ready: message(
      'ready',
      'The hello was accepted: the connection id and its limits.',
      envelope(
        'ready',
        {
          cid: { type: 'string' },
          limits: { type: 'object', additionalProperties: { type: 'number' } },
          dedupe: { type: 'object', properties: { windowMs: { type: 'number' }, maxEntries: { type: 'number' } } },
        },
        ['cid'],
      ),
    ),
    cancel: message('cancel', 'Cancel a call or end a subscription; nothing more is sent for that id.', envelope('cancel', { id }, ['id'])),
    error: message(
      'error',
      'A call or subscription failed (it is over); `id: null` for a rejected frame that named no usable id.',
      envelope('error', { id: { oneOf: [id, { type: 'null' }] }, error: errorShape }, ['id', 'error']),
    ),
    done: message(
      'done',
      "The subscription's source, a streamed result or a client stream ended normally.",
      envelope('done', { id }, ['id']),
    ),
    credit: message(
      'credit',
      'Grants n more items of a subscription or a stream, either way (protocol.md §7.1, §7.2).',
      envelope('credit', { id, n: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1 } }, ['id', 'n']),
    ),
    ping: message('ping', 'Heartbeat (either side); the receiver answers pong.', envelope('ping', {})),
    pong: message('pong', 'Answer to ping.', envelope('pong', {})),
    goaway: message('goaway', 'The server is draining; reconnect.', envelope('goaway', { reason: { type: 'string' } })),
  };
}

/** What {@link procedureEnvelope} needs about one procedure. */
export interface ProcedureShape {
  path: string;
  kind: ProcedureKind;
  input: JsonSchema | undefined;
  inputRequired: boolean;
  output: JsonSchema | undefined;
  /** The input is a client stream (`streamOf`): `input` is then the schema of one item. */
  inputStream?: boolean;
  /** The output is declared as a stream (`streamOf`): `output` is then the schema of one item. */
  outputStream?: boolean;
}

/** The extra item messages of a query or mutation that streams (protocol.md §7.2). */
export interface StreamMessages {
  /** Client → server items of a client stream. */
  inputItem?: MessageObject;
  /** Server → client items of a streamed result. */
  outputItem?: MessageObject;
}

/**
 * The request (`call` or `sub`) and response (`result` or `data`) messages of one procedure, with
 * its path and kind fixed by `const` so a reader can match a message to its procedure.
 */
export function procedureEnvelope(shape: ProcedureShape): { request: MessageObject; response: MessageObject } & StreamMessages {
  const { path, kind } = shape;
  const streamed = { const: true, description: 'Items follow as data messages with this id, then done (protocol.md §7.2).' };
  const input: Record<string, JsonSchema> = shape.inputStream ? { stream: streamed } : shape.input ? { input: shape.input } : {};
  const inputRequired = shape.inputStream ? ['stream'] : shape.input && shape.inputRequired ? ['input'] : [];
  const data = shape.output ?? anyValue;
  if (kind === 'subscription') {
    return {
      request: message(
        `${path} sub`,
        `Starts subscription ${path}.`,
        envelope(
          'sub',
          {
            id,
            path: { const: path },
            ...input,
            lastEventId: { type: 'string', description: 'Resume after this event id.' },
            credit: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1, description: 'Initial credit window.' },
          },
          ['id', 'path', ...inputRequired],
        ),
      ),
      response: message(
        `${path} data`,
        `One event of ${path}.`,
        envelope('data', { id, data, eid: { type: 'string', description: 'Event id given to tracked(id, value).' } }, ['id']),
      ),
    };
  }
  const mutation: Record<string, JsonSchema> =
    kind === 'mutation'
      ? {
          seq: { type: 'integer', minimum: 1, description: "The mutation's number in the hello's session (exactly-once)." },
          key: { type: 'string', minLength: 1, maxLength: 128, description: 'Idempotency key chosen by the application.' },
        }
      : {};
  const item = (direction: string, schema: JsonSchema | undefined) =>
    message(`${path} ${direction} item`, `One ${direction} item of ${path}'s stream.`, envelope('data', { id, data: schema ?? anyValue }, ['id']));
  const streams: StreamMessages = {
    ...(shape.inputStream ? { inputItem: item('input', shape.input) } : {}),
    ...(shape.outputStream ? { outputItem: item('output', shape.output) } : {}),
  };
  const result = shape.outputStream
    ? envelope('result', { id, stream: streamed }, ['id', 'stream'])
    : envelope(
        'result',
        { id, data, stream: { const: true, description: 'Set (without data) when the handler returned a stream (§7.2).' } },
        ['id'],
      );
  return {
    ...streams,
    request: message(
      `${path} call`,
      `Calls ${kind} ${path}.`,
      envelope(
        'call',
        {
          id,
          kind: { const: kind },
          path: { const: path },
          ...input,
          timeoutMs: { type: 'number', exclusiveMinimum: 0, description: "Time left until the caller's deadline." },
          ...mutation,
        },
        ['id', 'kind', 'path', ...inputRequired],
      ),
    ),
    response: message(`${path} result`, `The result of ${path}.`, result),
  };
}
