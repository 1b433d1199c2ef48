// The `custody` command (bin/custody.js runs it compiled, out/cli/main.js, or from these sources).
import { main } from './program.ts';

// A reader that stops early (`custody verify … | head -1`) closes the pipe: what was wanted has been read, so the
// command ends quietly, with the exit code it has so far, instead of an unhandled EPIPE stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

await main(process.argv);
