#!/usr/bin/env node
// The `custody` command. Sources are TypeScript; tsx compiles them on load so that `npx custody` works
// straight after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
