#!/usr/bin/env node
// The CLI's entry (bundled into dist/vxlab.cjs, started by dist/cli.cjs): takes SIGINT and SIGTERM
// first, then initialises the CLI's modules. A signal in that time is kept for the run.
// No top-level await: the bundle is CommonJS, so that V8 can run it from a code cache.
import { catchEarlySignals, signalOrTimeout } from './util/early-signals.ts';

catchEarlySignals();
void start();

async function start(): Promise<void> {
  // A named moment for tests: held here, before the CLI is loaded, until a signal lands (60 s at most).
  if (process.env.VXLAB_PAUSE_AT === 'load') {
    process.stderr.write('vxlab trace: load: before the CLI was loaded (paused until interrupted)\n');
    await signalOrTimeout(60_000);
  }
  await (await import('./cli.ts')).runCli();
}
