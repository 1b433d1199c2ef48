// The `custody` command (bin/custody.js runs it compiled, out/cli/main.js, or from these sources).
import { main } from './program.ts';

await main(process.argv);
