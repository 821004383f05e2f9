export {
  ASYNCAPI_CHANNEL,
  type AsyncApiDocument,
  type AsyncApiOperation,
  type AsyncApiOptions,
  type AsyncApiRef,
  type AsyncApiServer,
  createAsyncApiDocument,
} from './asyncapi-document.js';
export type { MessageObject } from './asyncapi-messages.js';
export type { JsonSchema } from './json-schema-of.js';
