import { parseArgs } from 'node:util';
import { runJob } from './watch-job.js';

// The Node CLI client: `node dist/cli.js [--url ws://127.0.0.1:4000] [--limit 5000000] [--chunks 50]`.
const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.JOBS_URL ?? 'ws://127.0.0.1:4000' },
    limit: { type: 'string', default: '5000000' },
    chunks: { type: 'string', default: '50' },
  },
});

try {
  const last = await runJob({ url: values.url, limit: Number(values.limit), chunks: Number(values.chunks), out: process.stdout });
  process.exitCode = last.phase === 'done' ? 0 : 1;
} catch (error) {
  console.error(`\n${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exitCode = 1;
}
