// Forked by the streams bench: runs each stream scenario against the server process and reports
// its time and this side's peak memory growth.
import { Ipc } from '../ipc.js';
import { echo, type StreamClientRequest, stalled, upload, uploadRaw } from './stream-scenarios.js';

const ipc = new Ipc(process);
ipc.handle(async (body) => {
  const req = body as StreamClientRequest;
  switch (req.op) {
    case 'upload':
      return upload(req.port, req.path, req.mib, req.chunkKiB, req.watchMemory);
    case 'upload-raw':
      return uploadRaw(req.port, req.mib, req.chunkKiB);
    case 'echo':
      return echo(req.port, req.count);
    case 'stalled':
      return stalled(req.port, req.read);
  }
});
process.on('disconnect', () => process.exit(0));
