import type { FaultConfig, FaultResults, Integrity } from './harness.js';

const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`);
const counts = (i: Integrity) => `${i.lost} | ${i.duplicated} | ${i.outOfOrder}`;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Markdown tables, one per fault. */
export function renderFaults(results: FaultResults, config: FaultConfig): string {
  const out: string[] = [];
  if (results.cuts.length) {
    out.push(`### Clean cut (${config.cuts} cuts of one client's link): time to the next event`);
    out.push(
      table(
        ['system', 'p50', 'p99', 'lost', 'duplicated', 'out of order', 'notes'],
        results.cuts.map((r) => [r.label, ms(r.p50), ms(r.p99), counts(r.integrity), notesOf(r.notes, r.timeouts, 'cut')]),
      ),
    );
  }
  if (results.stalls.length) {
    out.push(`### Half-open link (once per system, cap ${config.stallCapMs / 1000} s): time until events flow on a new link`);
    out.push(
      table(
        ['system', 'time', 'lost', 'duplicated', 'out of order', 'notes'],
        results.stalls.map((r) => [
          r.label,
          r.ms === null ? `> ${r.capMs / 1000} s (not noticed)` : ms(r.ms),
          counts(r.integrity),
          `${r.notes}${r.ms === null ? '; link cut after the cap, counts include that resume' : ''}`,
        ]),
      ),
    );
  }
  if (results.restarts.length) {
    out.push(`### Server restart (${config.restarts} crashes, 100 ms down, new instance on the same port): time to the next event`);
    out.push(
      table(
        ['system', 'p50', 'p99', 'lost', 'duplicated', 'out of order', 'notes'],
        results.restarts.map((r) => [r.label, ms(r.p50), ms(r.p99), counts(r.integrity), notesOf(r.notes, r.timeouts, 'restart')]),
      ),
    );
  }
  if (results.storms.length) {
    const s = results.storms[0];
    out.push(`### ${s?.clients} clients cut at once (${s?.rounds} round(s)): time to each client's next event`);
    out.push(
      table(
        ['system', 'p50', 'p99', 'max', 'most reconnects in one 100 ms window', 'lost', 'duplicated', 'out of order', 'notes'],
        results.storms.map((r) => [
          r.label,
          ms(r.p50),
          ms(r.p99),
          ms(r.max),
          `${Math.round(r.maxShareIn100ms * 100)} %`,
          counts(r.integrity),
          r.unrecovered ? `${r.unrecovered} client(s) not recovered within ${config.recoverTimeoutMs / 1000} s` : '',
        ]),
      ),
    );
  }
  return out.join('\n\n');
}

function notesOf(notes: string, timeouts: number, what: string): string {
  return timeouts ? `${notes}; ${timeouts} ${what}(s) with no event within the timeout` : notes;
}
