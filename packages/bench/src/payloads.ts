import { z } from 'zod';

/** The small call of scenarios (a)–(c) and (g). */
export const smallSchema = z.object({ id: z.number().int(), name: z.string(), tags: z.array(z.string()) });
export type SmallPayload = z.infer<typeof smallSchema>;
export const smallPayload: SmallPayload = { id: 42, name: 'bench', tags: ['a', 'b'] };

const itemSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  email: z.string(),
  active: z.boolean(),
  score: z.number(),
  tags: z.array(z.string()),
});
/** The ~10 KB plain object of scenario (e). */
export const largeSchema = z.object({ page: z.number().int(), items: z.array(itemSchema) });
export type LargePayload = z.infer<typeof largeSchema>;

function makeLarge(): LargePayload {
  const items: LargePayload['items'] = [];
  for (let i = 0; i < 200 && JSON.stringify({ page: 1, items }).length < 10_000; i++) {
    items.push({
      id: i,
      name: `user number ${i}`,
      email: `user${i}@example.com`,
      active: i % 3 !== 0,
      score: Math.round(i * 7.31 * 100) / 100,
      tags: ['alpha', 'beta', `t${i % 7}`],
    });
  }
  return { page: 1, items };
}
export const largePayload: LargePayload = makeLarge();

/**
 * The rich call of scenario (i): a `Date`, a 10-entry `Map`, a number and a string, echoed by a
 * mutation. Only systems that carry `Date` and `Map` take part (superjson on both sides).
 */
export const richSchema = z.object({ at: z.date(), counts: z.map(z.string(), z.number()), total: z.number(), label: z.string() });
export type RichPayload = z.infer<typeof richSchema>;
export const richPayload: RichPayload = {
  at: new Date(Date.UTC(2026, 11, 3, 12, 0, 0)),
  counts: new Map(Array.from({ length: 10 }, (_, i) => [`key${i}`, i * 10])),
  total: 450,
  label: 'bench',
};

/** One fan-out event. */
export interface BenchEvent {
  seq: number;
  topic: string;
  value: number;
}
export function makeEvent(seq: number): BenchEvent {
  return { seq, topic: 'bench', value: seq * 2 };
}

/** One fan-out event of scenario (j): the plain event plus the `Date` it happened at. */
export interface DatedEvent extends BenchEvent {
  at: Date;
}
const EPOCH = Date.UTC(2026, 11, 3);
export function makeDatedEvent(seq: number): DatedEvent {
  return { seq, topic: 'bench', value: seq * 2, at: new Date(EPOCH + seq) };
}

/** Which events a fan-out publishes: plain (d) or dated (j). */
export type EventShape = 'plain' | 'dated';
