const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-';

/**
 * A random session id (22 characters, 132 bits from `crypto.getRandomValues`): it names this
 * client's mutations in the server's dedupe window, so it must not be guessable.
 */
export function createSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte & 63];
  return id;
}
