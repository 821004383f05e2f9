/**
 * Message ids are `<epoch>-<seq>`: `seq` counts up within one store, and `epoch` names that store's
 * lifetime (a fresh one per in-memory store, so per server start). An id whose epoch is not the
 * server's comes from a history that no longer exists: the server restarted and lost its log. An id
 * of the current epoch that the log no longer holds was trimmed: it is too old. The server and the
 * page both read ids with these two functions, so they agree on which case is which.
 */

/** The parts of a message id. */
export interface MessageId {
  epoch: string;
  seq: number;
}

/** Formats the id of message `seq` of the store whose lifetime is `epoch`. */
export function formatMessageId(epoch: string, seq: number): string {
  return `${epoch}-${seq}`;
}

/** Reads an id made by {@link formatMessageId}; `undefined` for anything else (e.g. an older format). */
export function parseMessageId(id: string): MessageId | undefined {
  const dash = id.lastIndexOf('-');
  const seq = Number(id.slice(dash + 1));
  if (dash <= 0 || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  return { epoch: id.slice(0, dash), seq };
}
