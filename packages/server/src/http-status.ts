import { CloseCode, type ErrorCode } from '@duplex/core';

/** The HTTP status of each error code on the HTTP transport (protocol.md §12). */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TIMEOUT: 408,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  CANCELLED: 499,
  INTERNAL_SERVER_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  SERVICE_UNAVAILABLE: 503,
};

/** The error code a request-scoped peer's close stands for (createContext refused, handshake too slow). */
export function codeOfClose(code: number): ErrorCode {
  switch (code) {
    case CloseCode.UNAUTHORIZED:
      return 'UNAUTHORIZED';
    case CloseCode.FORBIDDEN:
      return 'FORBIDDEN';
    case CloseCode.BAD_HELLO:
      return 'BAD_REQUEST';
    case CloseCode.HELLO_TIMEOUT:
      return 'TIMEOUT';
    case CloseCode.POLICY_VIOLATION:
      return 'TOO_MANY_REQUESTS';
    case CloseCode.GOING_AWAY:
      return 'SERVICE_UNAVAILABLE';
    default:
      return 'INTERNAL_SERVER_ERROR';
  }
}
