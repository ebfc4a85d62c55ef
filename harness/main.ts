#!/usr/bin/env node
// The CLI's entry (dist/cli.js): takes SIGINT and SIGTERM first, then loads the CLI, whose
// modules take about 100 ms to parse and run. A signal in that time is kept for the run.
import { catchEarlySignals, signalOrTimeout } from './util/early-signals.ts';

catchEarlySignals();
// A named moment for tests: held here, before the CLI is loaded, until a signal lands (60 s at most).
if (process.env.VXLAB_PAUSE_AT === 'load') {
  process.stderr.write('vxlab trace: load: before the CLI was loaded (paused until interrupted)\n');
  await signalOrTimeout(60_000);
}
await import('./cli.ts');
