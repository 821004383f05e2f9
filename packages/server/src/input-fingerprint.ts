/**
 * A digest of a call's input as it came off the wire, so one idempotency key is tied to one
 * input (FNV-1a, 32 bits, over the JSON text, plus its length). Not a security measure: the key
 * itself is the secret; this catches an application that reuses a key by mistake.
 */
export function inputFingerprint(raw: unknown): string {
  if (raw === undefined) return '-';
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.getPrototypeOf(raw) !== Object.prototype) {
    // Decoded binary input: its bytes are not JSON; the key alone identifies it.
    return 'binary';
  }
  const text = JSON.stringify(raw) ?? '';
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${text.length}:${(hash >>> 0).toString(36)}`;
}
