/**
 * Maps a topic to one NATS subject token under `prefix`: NATS splits subjects on `.`, treats `*`
 * and `>` as wildcards and forbids whitespace, so those (and `%`) are percent-encoded.
 * @example subjectOf('duplex', 'room:a.b') === 'duplex.room:a%2Eb'
 */
export function subjectOf(prefix: string, topic: string): string {
  return `${prefix}.${topic.replace(/[%.*>\s]/gu, (char) => `%${char.codePointAt(0)?.toString(16).toUpperCase().padStart(2, '0')}`)}`;
}
