// SIGINT and SIGTERM from the CLI's very first line: a signal that lands while the CLI is still
// loading is kept and handed to the run once it can take it, so even the earliest interrupt
// leaves TAP that says so. No imports: the entry loads this before anything else.

let pending: NodeJS.Signals[] = [];
let handler: ((signal: NodeJS.Signals) => void) | undefined;
let woken: (() => void) | undefined;
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  woken?.();
  if (handler) handler(signal);
  else pending.push(signal);
}

export function catchEarlySignals(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
}

/** From now on `take` gets every signal; those that landed before are given to it at once, in order. */
export function handSignalsTo(take: (signal: NodeJS.Signals) => void): void {
  catchEarlySignals();
  handler = take;
  const earlier = pending;
  pending = [];
  for (const signal of earlier) take(signal);
}

/** Resolves when a signal has landed (at once if one already has), or after `ms`. */
export function signalOrTimeout(ms: number): Promise<void> {
  if (pending.length > 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      woken = undefined;
      resolve();
    }
    woken = done;
  });
}
