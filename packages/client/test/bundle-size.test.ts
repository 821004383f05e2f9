import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_GZIP_BYTES, type BundleSize, CALLS_BUDGET_GZIP_BYTES, measureClientBundle } from '../scripts/size.mjs';

describe('browser bundle size of @duplex/client', () => {
  // Every entry is bundled once, for all the checks below.
  let rows: BundleSize[] = [];
  beforeAll(async () => {
    rows = await measureClientBundle();
  });
  const size = (name: string) => {
    const row = rows.find((r) => r.name === name);
    if (!row) throw new Error(`no entry "${name}"`);
    return row;
  };

  it('stays within the gzip budgets of docs/bundle-size.md', () => {
    const calls = size('calls and subscriptions only');
    const withBinary = size('with binary frames');
    const all = size('all exports');
    // A real bundle: superjson is external, yet the client and core are in it.
    expect(calls.minified).toBeGreaterThan(2_000);
    expect(calls.budget).toBe(CALLS_BUDGET_GZIP_BYTES);
    expect(calls.gzip).toBeLessThanOrEqual(CALLS_BUDGET_GZIP_BYTES);
    expect(all.budget).toBe(BUDGET_GZIP_BYTES);
    expect(all.gzip).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    // Binary frames drop out unless imported: opting in costs a real amount.
    expect(withBinary.gzip - calls.gzip).toBeGreaterThan(200);
    expect(withBinary.gzip).toBeLessThanOrEqual(all.gzip);
  });

  it('leaves out of a calls-only app every module it does not use (docs/bundle-size.md)', () => {
    const { modules } = size('calls and subscriptions only');
    expect(modules).toContain('src/connection.ts');
    for (const unused of [
      // Binary frames: opt-in through @duplex/client/binary.
      'src/binary.ts',
      '../core/src/binary-frame.ts',
      // HTTP + SSE transports and OpenTelemetry: opt-in entries.
      'src/http.ts',
      'src/http-socket.ts',
      'src/sse-reader.ts',
      'src/otel.ts',
      // Node's codec fast paths: browsers resolve #superjson-serialize and #superjson-in-place to small variants.
      '../core/src/superjson-serialize.ts',
      '../core/src/superjson-in-place.ts',
    ]) {
      expect(modules, unused).not.toContain(unused);
    }
    expect(modules).toContain('../core/src/superjson-serialize.browser.ts');
  });
});
