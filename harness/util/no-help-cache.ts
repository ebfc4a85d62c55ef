// yargs lays out the whole help text right after every subcommand's handler starts, and keeps it in
// case that handler fails and yargs is asked to show help. vxlab's fail() throws and never shows
// help, yet the layout loads string-width (an Intl.Segmenter and Unicode regular expressions):
// ~25 ms of every `status`, `exec`, `up`, `down`, `check` or `clean` start (issue 12).
import type { Argv } from 'yargs';

interface UsageInternals {
  getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } };
}

/** Stops yargs from laying out help that nothing will print; `--help` itself is unchanged. */
export function skipHelpCache<T>(parser: Argv<T>): Argv<T> {
  const usage = (parser as unknown as UsageInternals).getInternalMethods?.().getUsageInstance?.();
  // An internal of yargs 17: a version without it keeps its own behaviour (no-help-cache.test.ts says so).
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
  return parser;
}
