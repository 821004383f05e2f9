// typos.ts — mistakes are compile errors, not runtime surprises
import { createClient } from '@duplex/client';
import type { AppRouter } from './router.js';

const client = createClient<AppRouter>({ url: 'ws://127.0.0.1:3000' });

// @ts-expect-error — 'nam' is not 'name'
void client.greet.query({ nam: 'Ada' });
// @ts-expect-error — there is no procedure 'greeet'
void client.greeet.query({ name: 'Ada' });
// @ts-expect-error — a query has no .mutate
void client.greet.mutate({ name: 'Ada' });
// @ts-expect-error — the result is a string, not a number
const n: number = await client.greet.query({ name: 'Ada' });
