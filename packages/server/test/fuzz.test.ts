import { encodeBinaryFrame } from '@duplex/core';
import { startServer } from '@duplex/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { router, type TestRouter } from './fixtures.js';
import { openRaw } from './raw-socket.js';

/**
 * Property-based attack: random, structured and mutated frames on fresh connections. After each
 * batch the server must still answer a well-behaved client correctly, hold no more than its
 * limits allow, and `Object.prototype` must be untouched.
 */

const SENTINEL = Number.MAX_SAFE_INTEGER;
/** Closes the server may choose for a hostile connection: policy, size, bad hello. */
const EXPECTED_CLOSES = [1008, 1009, 4400];
const LIMITS = { maxCallsInFlight: 8, maxSubscriptions: 4, maxProtocolErrors: 50, maxMessageBytes: 64 * 1024 };
const PATHS = ['add', 'echo', 'inspect', 'hang', 'idle', 'boom', 'forbidden', 'badOutput'];

type Frame = { text: string } | { bytes: Uint8Array };

const q = (value: string) => JSON.stringify(value);
const json = fc.json({ maxDepth: 4 });
const dangerous = fc
  .tuple(fc.constantFrom('"__proto__"', '"constructor"', '"prototype"', '"\\u005f_proto__"', '"\\u0063onstructor"'), json)
  .chain(([key, value]) => fc.constantFrom(`{${key}:${value}}`, `{"constructor":{"prototype":${value}}}`, `[{"a":{${key}:{"isAdmin":true}}}]`));
const annotation = fc.constantFrom(
  '"bigint"', '"Date"', '"regexp"', '"set"', '"map"', '"undefined"', '"number"', '"Error"', '"URL"', '"__proto__"', '"constructor"',
  '["class","Object"]', '["custom","x"]', '["symbol","x"]', '["typed-array","Uint8Array"]', '["typed-array","constructor"]',
  '["typed-array","__proto__"]', '["map",{"0":["Date"]}]',
);
const metaPath = fc.constantFrom('', 'a', 'a.b', '0', '0.1', '__proto__', 'a.__proto__', 'constructor.prototype', 'a\\\\.b');
const superjsonPayload = fc
  .tuple(
    json,
    fc.oneof(annotation, fc.dictionary(metaPath, annotation, { maxKeys: 3 }).map((d) => JSON.stringify(d).replace(/\\\\"/g, '"').replace(/"\[/g, '[').replace(/\]"/g, ']'))),
    fc.option(fc.dictionary(metaPath, fc.array(metaPath, { maxLength: 3 }), { maxKeys: 2 }).map((d) => JSON.stringify(d))),
  )
  .map(([value, values, refs]) => `{"json":${value},"meta":{"values":${values}${refs ? `,"referentialEqualities":${refs}` : ''},"v":1}}`);
const input = fc.oneof(json, dangerous, superjsonPayload);
const id = fc.oneof(fc.nat({ max: 40 }).map(String), fc.constantFrom('-1', '1.5', '"1"', 'null', '1e400', '9007199254740993', '[]', '{}', 'true'));
const field = (name: string, value: fc.Arbitrary<string>) => fc.option(value.map((v) => `"${name}":${v}`), { nil: undefined });
const message = fc
  .tuple(
    fc.constantFrom('"hello"', '"call"', '"call"', '"sub"', '"cancel"', '"ping"', '"pong"', '"bogus"', '42', 'null', '"__proto__"'),
    field('id', id),
    field('kind', fc.constantFrom('"query"', '"mutation"', '"subscription"', '1')),
    field('path', fc.oneof(fc.constantFrom(...PATHS.map(q), '"__proto__"', '"constructor"', '""', '"add.__proto__"'), fc.string({ maxLength: 12 }).map(q))),
    field('input', input),
    field('timeoutMs', fc.constantFrom('1', '50', '0', '-1', '1e300', '"5"', 'null')),
    field('lastEventId', fc.constantFrom('"1"', '7', 'null')),
    field('v', fc.constantFrom('1', '2', '"1"')),
    field('codec', fc.constantFrom('"json"', '"superjson"', '"__proto__"', '1')),
    field('params', fc.oneof(json, dangerous)),
  )
  .map(([t, ...rest]) => `{${[`"t":${t}`, ...rest.filter((part) => part !== undefined)].join(',')}}`);
/** Well-formed envelopes around hostile payloads: these reach the codec, the schemas and handlers. */
const call = fc
  .tuple(fc.nat({ max: 40 }), fc.constantFrom('query:echo', 'mutation:inspect', 'query:add', 'query:hang', 'sub:idle', 'query:boom'), input)
  .map(([n, target, payload]) => {
    const [kind, path] = target.split(':') as [string, string];
    return kind === 'sub'
      ? `{"t":"sub","id":${n},"path":"${path}","input":${payload}}`
      : `{"t":"call","id":${n},"kind":"${kind}","path":"${path}","input":${payload}}`;
  });
/** A codec name that ends up quoted in a close reason: multibyte text of every width. */
const oddCodec = fc.string({ unit: fc.constantFrom('a', 'é', '\u0800', '\u0800', '\u0800', '\u0800', '😀', '\ud800'), minLength: 20, maxLength: 60 });
const validFrames = [
  '{"t":"call","id":1,"kind":"query","path":"add","input":{"a":1,"b":2}}',
  '{"t":"call","id":2,"kind":"query","path":"echo","input":{"json":{"d":"1970-01-01T00:00:00.000Z"},"meta":{"values":{"d":["Date"]},"v":1}}}',
  '{"t":"sub","id":3,"path":"idle"}',
  '[{"t":"call","id":4,"kind":"query","path":"hang","timeoutMs":5},{"t":"cancel","id":3}]',
  '{"t":"hello","v":1,"codec":"json","params":{"token":"x"}}',
];
const mutated = fc
  .tuple(fc.constantFrom(...validFrames), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4 }), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 }))
  .map(([text, edits]) => edits.reduce((acc, [at, remove, insert]) => acc.slice(0, at % (acc.length + 1)) + insert + acc.slice((at % (acc.length + 1)) + remove), text));
/** Binary frames: well-formed ones around hostile JSON and references, then the same with their bytes mutated. */
const bytesRef = fc.oneof(
  fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 40 })).map(([offset, length]) => `[${offset},${length}]`),
  fc.constantFrom('[0]', '[0,1,2]', '[-1,1]', '[0,1.5]', '["0","1"]', 'null', '{"0":0,"1":1}', '[0,4294967296]', '[1e400,0]'),
);
/** A superjson input whose fields are bytes references, e.g. `{"a":[0,2]}` annotated `duplex.bytes`. */
const refsInput = (refs: Array<[string, string]>) =>
  `{"json":{${refs.map(([key, ref]) => `${q(key)}:${ref}`).join(',')}},"meta":{"values":{${refs.map(([key]) => `${q(key)}:[["custom","duplex.bytes"]]`).join(',')}},"v":1}}`;
const binaryInput = fc.array(fc.tuple(fc.constantFrom('a', 'b', '0', 'a.b', '__proto__'), bytesRef), { maxLength: 4 }).map(refsInput);
/** A call whose references cover its attachments exactly: these reach the handlers. */
const validBinary = fc.tuple(fc.nat({ max: 40 }), fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 4 })).map(([n, parts]) => {
  let offset = 0;
  const refs = parts.map((part, i): [string, string] => {
    const ref = `[${offset},${part.length}]`;
    offset += part.length;
    return [`f${i}`, ref];
  });
  return { bytes: encodeBinaryFrame(`{"t":"call","id":${n},"kind":"query","path":"echo","input":${refsInput(refs)}}`, parts) };
});
const binaryText = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.nat({ max: 40 }), fc.constantFrom('echo', 'add', 'inspect', 'hang'), fc.oneof(binaryInput, input)).map(([n, path, payload]) => `{"t":"call","id":${n},"kind":"query","path":"${path}","input":${payload}}`) },
  { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 40 }), binaryInput).map(([n, payload]) => `{"t":"sub","id":${n},"path":"idle","input":${payload}}`) },
  { weight: 1, arbitrary: message },
);
const binaryFrame = fc
  .tuple(binaryText, fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 4 }), fc.option(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { nil: undefined }))
  .map(([text, parts, flip]) => {
    const bytes = encodeBinaryFrame(text, parts);
    // One mutated byte anywhere: the header, the JSON, or the attachments.
    if (flip && bytes.length > 0) bytes[flip[0] % bytes.length] = flip[1];
    return { bytes };
  });
const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 3, arbitrary: binaryFrame },
  { weight: 1, arbitrary: validBinary },
  { weight: 4, arbitrary: message.map((text) => ({ text })) },
  { weight: 4, arbitrary: call.map((text) => ({ text })) },
  { weight: 2, arbitrary: fc.array(message, { minLength: 0, maxLength: 6 }).map((m) => ({ text: `[${m.join(',')}]` })) },
  { weight: 3, arbitrary: mutated.map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }).map((text) => ({ text })) },
  { weight: 1, arbitrary: json.map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((bytes) => ({ bytes })) },
);
const session = fc.record({
  hello: fc.oneof(fc.constantFrom('json', 'superjson', 'superjson', undefined), oddCodec),
  frames: fc.array(frame, { minLength: 1, maxLength: 30, size: 'max' }),
});

describe('fuzz', () => {
  it('survives thousands of random and mutated frames', async () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    await using srv = await startServer(router, { createContext: () => ({ user: null }), ...LIMITS });
    const observer = srv.client<TestRouter>();
    let frames = 0;
    let round = 0;
    await fc.assert(
      fc.asyncProperty(session, async ({ hello, frames: batch }) => {
        const raw = await openRaw(srv.url);
        if (hello) raw.send({ t: 'hello', v: 1, codec: hello });
        for (const f of batch) raw.send('text' in f ? f.text : Buffer.from(f.bytes));
        frames += batch.length;
        // A call after the batch is answered (or the connection was closed): the batch was handled.
        raw.send({ t: 'call', id: SENTINEL, kind: 'query', path: 'add', input: { a: 1, b: 1 } });
        const closed = await Promise.race([raw.until((m) => m.id === SENTINEL).then(() => undefined), raw.closed]);
        if (closed) expect(EXPECTED_CLOSES).toContain(closed.code);
        raw.ws.terminate();
        await raw.closed;

        round++;
        expect(await observer.add.query({ a: round, b: 1 })).toBe(round + 1);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
        const stats = srv.server.stats();
        expect(stats.connections).toBeLessThanOrEqual(2);
        expect(stats.calls).toBeLessThanOrEqual(LIMITS.maxCallsInFlight * stats.connections);
        expect(stats.subscriptions).toBeLessThanOrEqual(LIMITS.maxSubscriptions * stats.connections);
        expect(stats.bufferedBytes).toBeLessThan(1024 * 1024);
      }),
      { numRuns: 250 },
    );
    expect(frames).toBeGreaterThan(3000);
    // Nothing leaked: every fuzzed connection released its calls and subscriptions.
    await expect.poll(() => srv.server.stats()).toEqual({ connections: 1, calls: 0, subscriptions: 0, bufferedBytes: 0 });
  }, 60_000);
});
