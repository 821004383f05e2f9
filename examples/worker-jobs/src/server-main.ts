import { startJobServer } from './job-server.js';

// The job server: `node dist/server.js` (PORT, HOST from the environment).
const server = await startJobServer({ port: Number(process.env.PORT ?? 4000), host: process.env.HOST ?? '127.0.0.1' });
console.log(`job server listening on ${server.url}  (run \`npm run cli --workspace @duplex/example-worker-jobs\`)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
