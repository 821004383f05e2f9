import { startJobServer } from './job-server.js';
import { runJob } from './watch-job.js';

// `npm start`: a job server and a CLI client in one process, talking over a real WebSocket.
await using server = await startJobServer();
console.log(`job server on ${server.url}`);
const last = await runJob({ url: server.url, limit: Number(process.argv[2] ?? 3_000_000), chunks: 40, out: process.stdout });
process.exitCode = last.phase === 'done' ? 0 : 1;
