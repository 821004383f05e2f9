// `npm run bench:streams [-- --quick] [--rounds=N]`: client streams, two-way streams and a stalled reader of a
// streamed result, beside raw `ws` binary frames (issue 14). Prints a Markdown table.
// Workers load the built packages like a user's app (or the sources with `--source`).
import { buildDuplex } from '../build-duplex.js';
import { positiveIntArg } from '../cli-args.js';
import { FULL_STREAMS, formatStreams, QUICK_STREAMS, runStreams } from './run-streams.js';

if (!process.argv.includes('--source')) buildDuplex((line) => console.log(line));

const preset = process.argv.includes('--quick') ? QUICK_STREAMS : FULL_STREAMS;
const config = { ...preset, rounds: positiveIntArg(process.argv, 'rounds') ?? preset.rounds };
console.log(`streams bench: ${config.mib} MiB uploads in ${config.chunkKiB} KiB chunks, ${config.echoCount} echo messages`);
const result = await runStreams(config, (line) => console.log(line));
console.log('');
console.log(formatStreams(result));
