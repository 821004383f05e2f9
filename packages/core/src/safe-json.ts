/**
 * JSON parsing for frames from untrusted peers: bounded nesting and no prototype-polluting keys.
 * The common case costs three substring searches and one bracket scan on top of `JSON.parse`;
 * only frames that mention a risky key (or use `\u` escapes, which could spell one) are walked.
 */

/** Deepest array/object nesting accepted in one frame, envelope included. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/** Why a frame was refused before or while parsing. */
export class UnsafeJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeJsonError';
  }
}

/** Index of the `"` that closes the string opened at `open`, or -1 when it is unterminated. */
function stringEnd(text: string, open: number): number {
  let close = text.indexOf('"', open + 1);
  while (close !== -1) {
    let slashes = 0;
    for (let i = close - 1; text.charCodeAt(i) === 92; i--) slashes++;
    if (slashes % 2 === 0) return close;
    close = text.indexOf('"', close + 1);
  }
  return -1;
}

/**
 * True when `text` nests arrays/objects deeper than `maxDepth`. Brackets inside strings do not
 * count. Malformed text may answer either way; `JSON.parse` rejects it afterwards.
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  // Every level needs an opening and a closing bracket.
  if (text.length <= maxDepth * 2) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      i = stringEnd(text, i);
      if (i === -1) return false;
    } else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return true;
    } else if (c === 125 || c === 93) {
      depth--;
    }
  }
  return false;
}

/**
 * The key that makes `value` unsafe, or undefined: any `__proto__` key, or a `constructor` key
 * holding an object with a `prototype` key (the two ways a naive deep merge reaches
 * `Object.prototype`). Same policy as fastify's secure-json-parse.
 */
export function findUnsafeKey(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findUnsafeKey(item);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (key === '__proto__') return key;
    if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) {
      return 'constructor.prototype';
    }
    const found = findUnsafeKey(child);
    if (found) return found;
  }
  return undefined;
}

/**
 * True when `text` could hold a key {@link findUnsafeKey} refuses: it names one, or uses a `\u`
 * escape that could spell one. Three substring searches; false for almost every real frame.
 */
export function mayContainUnsafeKey(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
}

/** `JSON.parse` that first refuses nesting deeper than `maxDepth` with {@link UnsafeJsonError}. */
export function parseBoundedJson(text: string, maxDepth: number = DEFAULT_MAX_JSON_DEPTH): unknown {
  if (exceedsJsonDepth(text, maxDepth)) throw new UnsafeJsonError(`JSON nested deeper than ${maxDepth} levels`);
  return JSON.parse(text);
}

/** Options of {@link parseUntrustedJson}. */
export interface ParseUntrustedJsonOptions {
  /** @default DEFAULT_MAX_JSON_DEPTH (64) */
  maxDepth?: number | undefined;
}

/**
 * `JSON.parse` for text from the network. Throws `SyntaxError` on invalid JSON and
 * {@link UnsafeJsonError} on nesting deeper than `maxDepth` or a prototype-polluting key.
 */
export function parseUntrustedJson(text: string, options: ParseUntrustedJsonOptions = {}): unknown {
  const parsed = parseBoundedJson(text, options.maxDepth);
  if (mayContainUnsafeKey(text)) {
    const key = findUnsafeKey(parsed);
    if (key) throw new UnsafeJsonError(`forbidden key "${key}"`);
  }
  return parsed;
}
