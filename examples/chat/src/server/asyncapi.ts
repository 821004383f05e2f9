import type { ServerResponse } from 'node:http';
import { createAsyncApiDocument } from '@duplex/server/asyncapi';
import { chatRouter } from './router.js';

/** Where the chat serves its AsyncAPI document. */
export const ASYNCAPI_PATH = '/asyncapi.json';

/**
 * Answers `GET /asyncapi.json` with the chat's AsyncAPI 3 document for a server at `host`
 * (`127.0.0.1:3000`), its socket on `rpcPath`. Built once: the router does not change.
 */
export function asyncApiResponder(host: string, rpcPath: string): (response: ServerResponse) => void {
  const body = JSON.stringify(
    createAsyncApiDocument(chatRouter, {
      info: {
        title: 'duplex chat',
        version: '1.0.0',
        description: 'Rooms, messages with resume, presence and typing (examples/chat).',
      },
      servers: { local: { host, protocol: 'ws', pathname: rpcPath, description: 'This chat server' } },
    }),
    null,
    2,
  );
  return (response) => {
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' }).end(body);
  };
}
