import { DuplexError } from '@duplex/client';

type Issue = NonNullable<DuplexError['issues']>[number];

/** The fields of the page's forms, by the input key the server validates, with their labels. */
const FIELD_LABELS: Readonly<Record<string, string>> = { text: 'Message' };

/**
 * One validation issue in words for the field it is about. zod's default messages ("Too big:
 * expected string to have <=500 characters") are written for developers; the issue's `code` and
 * bounds (Standard Schema issues carry zod's fields) let the page say it for people. Issues it does
 * not know keep the schema's message.
 */
export function issueText(issue: Issue, label: string): string {
  const { code, origin, maximum, minimum } = issue;
  if (origin !== 'string') return issue.message;
  if (code === 'too_big') return `${label} is too long (max ${String(maximum)} characters)`;
  if (code === 'too_small') return minimum === 1 ? `${label} is empty` : `${label} is too short (min ${String(minimum)} characters)`;
  return issue.message;
}

/**
 * Splits a `BAD_REQUEST` into one message per form field (keyed by input key, e.g. `text`) and the
 * rest for the page's general error line. Other errors have no field messages.
 */
export function fieldErrors(error: unknown): { fields: Map<string, string>; rest: string } {
  const fields = new Map<string, string>();
  if (!(error instanceof DuplexError) || error.code !== 'BAD_REQUEST' || !error.issues?.length) return { fields, rest: errorText(error) };
  const other: string[] = [];
  for (const issue of error.issues) {
    const key = String(issue.path?.[0] ?? '');
    const label = FIELD_LABELS[key];
    if (label === undefined) other.push(issueText(issue, key ? key[0]?.toUpperCase() + key.slice(1) : 'Input'));
    else if (!fields.has(key)) fields.set(key, issueText(issue, label));
  }
  return { fields, rest: other.join('; ') };
}

/** Any error as one sentence for people: never a bare code or a schema's developer message. */
export function errorText(error: unknown): string {
  if (!(error instanceof DuplexError)) return 'Something went wrong. Try again.';
  switch (error.code) {
    case 'BAD_REQUEST':
      return error.issues?.length ? fieldErrors(error).rest || 'Check the highlighted field.' : 'The server did not accept that.';
    case 'SERVICE_UNAVAILABLE':
    case 'TIMEOUT':
      return 'Not sent: the connection dropped. Try again.';
    case 'TOO_MANY_REQUESTS':
      return 'Slow down a little, then try again.';
    case 'INTERNAL_SERVER_ERROR':
      return 'The server had a problem. Try again.';
    default:
      // The chat's own errors (UNAUTHORIZED, NOT_FOUND, CONFLICT) carry messages written for people.
      return error.message;
  }
}
