export { createFetchHandler, type FetchHandler, type FetchHandlerOptions, type FetchRequestInfo } from './fetch-handler.js';
export { codeOfClose, HTTP_STATUS } from './http-status.js';
export { DEFAULT_SSE_PING_MS } from './sse-response.js';
