// For the bench's start-up figure: with VXLAB_TRACE_SPAWNS=1 in its environment, vxlab writes
// `vxlab-spawn EPOCH_MS ARGV` to stderr for every program it starts, so the bench can see when
// the first kernel command left (wall-clock time, comparable with the bench's own clock).
const tracing = process.env.VXLAB_TRACE_SPAWNS === '1';

export function traceSpawn(argv: readonly string[]): void {
  if (tracing) process.stderr.write(`vxlab-spawn ${(performance.timeOrigin + performance.now()).toFixed(1)} ${argv.join(' ')}\n`);
}
