const nodeBuffer = (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer;

/** UTF-8 size of a frame in bytes: Node's and Bun's native count where there is one, else a scan. */
export function byteLength(frame: string | Uint8Array): number {
  if (typeof frame !== 'string') return frame.byteLength;
  if (nodeBuffer) return nodeBuffer.byteLength(frame, 'utf8');
  let bytes = 0;
  for (let i = 0; i < frame.length; i++) {
    const code = frame.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < frame.length) {
      // A surrogate pair is one code point of 4 bytes.
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
