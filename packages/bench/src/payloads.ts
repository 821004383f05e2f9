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

/** One fan-out event. */
export interface BenchEvent {
  seq: number;
  topic: string;
  value: number;
}
export function makeEvent(seq: number): BenchEvent {
  return { seq, topic: 'bench', value: seq * 2 };
}
