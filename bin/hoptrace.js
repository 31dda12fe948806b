#!/usr/bin/env node
// The installed entry point: the compiled CLI lives in dist/ (built by `npm run build`, run on `prepare`).
// V8 is tuned before the rest of the CLI loads (loading it already grows the heap; see v8-tuning.ts).
import { tuneV8 } from '../dist/cli/v8-tuning.js';

tuneV8();
const { main } = await import('../dist/cli/main.js');
main(process.argv.slice(2));
