import { HttpSocket, type HttpTransportOptions } from './http-socket.js';
import type { ClientTransport, WebSocketConstructor, WebSocketLike } from './web-socket.js';

type Handler<TEvent> = ((event: TEvent) => void) | null;

/**
 * Duplex over HTTP and SSE only, for networks that never allow WebSockets (protocol.md §12).
 * @example
 * createClient<AppRouter>({ url: 'https://api.example.com/rpc', transport: httpTransport() });
 */
export function httpTransport(options: HttpTransportOptions = {}): ClientTransport {
  return {
    kind: 'http',
    WebSocket: () =>
      class extends HttpSocket {
        constructor(url: string) {
          super(url, options);
        }
      },
  };
}

/**
 * A WebSocket first on every (re)connect; when it cannot open (an upgrade refused with a 4xx, or
 * cut by a proxy), the same attempt goes on over HTTP and SSE with the same typed API and resume.
 * @example
 * createClient<AppRouter>({ url: 'wss://api.example.com/rpc', transport: autoTransport() });
 */
export function autoTransport(options: HttpTransportOptions = {}): ClientTransport {
  return {
    kind: 'auto',
    WebSocket: (given) => {
      const Real = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      return class extends AutoSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, Real, options);
        }
      };
    },
  };
}

/** Forwards to a real WebSocket, or to an {@link HttpSocket} once the real one failed before opening. */
class AutoSocket implements WebSocketLike {
  onopen: Handler<unknown> = null;
  onmessage: Handler<{ data: unknown }> = null;
  onclose: Handler<{ code: number; reason: string }> = null;
  onerror: Handler<unknown> = null;
  private inner: WebSocketLike;

  constructor(
    private readonly url: string,
    protocols: string | string[] | undefined,
    Real: WebSocketConstructor | undefined,
    private readonly options: HttpTransportOptions,
  ) {
    let real: WebSocketLike | undefined;
    try {
      real = Real ? new Real(url, protocols) : undefined;
    } catch {
      real = undefined;
    }
    this.inner = real ? this.wire(real, true) : this.wire(new HttpSocket(url, options), false);
  }

  get readyState(): number {
    return this.inner.readyState;
  }
  get protocol(): string {
    return this.inner.protocol;
  }
  set binaryType(value: string) {
    this.inner.binaryType = value;
  }

  send(data: string | Uint8Array): void {
    this.inner.send(data);
  }
  close(code?: number, reason?: string): void {
    this.inner.close(code, reason);
  }
  terminate(): void {
    if (this.inner.terminate) this.inner.terminate();
    else this.inner.close();
  }

  private wire(socket: WebSocketLike, real: boolean): WebSocketLike {
    let opened = false;
    socket.binaryType = 'arraybuffer';
    socket.onopen = (event) => {
      opened = true;
      this.onopen?.(event);
    };
    socket.onmessage = (event) => this.onmessage?.(event);
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (real && !opened && this.inner === socket) {
        // The upgrade never completed: carry on over HTTP within the same attempt.
        this.inner = this.wire(new HttpSocket(this.url, this.options), false);
        return;
      }
      this.onclose?.(event);
    };
    return socket;
  }
}
