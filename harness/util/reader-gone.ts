// A reader that goes away (`| head -5`, `grep -m1`, a closed CI log) is normal. Node ignores
// SIGPIPE, so the next write fails with EPIPE instead, emitted as an 'error' event on the stream;
// with no listener that error crashes the process with a stack trace, in the middle of a run.

/** Calls `onGone` once, on the first error writing to `stream` (EPIPE: its reader closed the pipe). */
export function onReaderGone(stream: NodeJS.WritableStream, onGone: (error: Error) => void): void {
  let gone = false;
  // Stays attached: later writes to the destroyed stream must not crash either.
  stream.on('error', (error: Error) => {
    if (gone) return;
    gone = true;
    onGone(error);
  });
}
