// TAP 14: one subtest per scenario, one test point per check, YAML diagnostics on failure.
// Written as the run goes; every line is TAP, so strict parsers accept the stream whole.
// With `version: 13` the same stream says `TAP version 13`, for consumers that stop at 13 (Perl's
// prove, TAP::Harness 3.44; kselftest): they read the top-level points and the indented
// subtests as unknown lines, which TAP 13 lets them ignore.
import { stringify } from 'yaml';
import type { EventSink, RunEvent } from './events.ts';

const INDENT = '    ';

/** Test point descriptions may not hold `#` (a directive) or line breaks; `\` escapes. */
export function escapeDescription(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/[\r\n]+/g, ' ');
}

function yamlBlock(data: Record<string, unknown>, indent: string): string[] {
  const body = stringify(data, { lineWidth: 0 }).trimEnd().split('\n');
  return [`${indent}  ---`, ...body.map((line) => `${indent}  ${line}`), `${indent}  ...`];
}

export type TapVersion = 13 | 14;

export interface TapOptions {
  /** The `TAP version N` header; the stream is otherwise the same. 14 unless told. */
  version?: TapVersion;
}

export function createTapWriter(write: (text: string) => void, options: TapOptions = {}): EventSink {
  const header = `TAP version ${options.version ?? 14}`;
  let topCount = 0;
  let subCount = 0;
  let started = false;
  const out = (lines: string[]) => {
    // However early a run ends, what it wrote is TAP: the header comes first.
    if (!started) lines = lines[0] === header ? lines : [header, ...lines];
    started = true;
    write(lines.map((l) => `${l}\n`).join(''));
  };

  return (event: RunEvent) => {
    switch (event.type) {
      case 'run-start':
        // The run id names every resource of the run (a comment, so TAP consumers skip it).
        out([header, `1..${event.scenarios.length}`, `# vxlab run ${event.runId} on the ${event.backend} backend`]);
        break;
      case 'skip-all':
        out([header, `1..0 # SKIP ${escapeDescription(event.reason)}`]);
        break;
      case 'scenario-start':
        subCount = 0;
        out([`# Subtest: ${escapeDescription(event.scenario.name)}`]);
        break;
      case 'waiting':
        out([`${INDENT}# ${event.reason.replace(/[\r\n]+/g, ' ')}`]);
        break;
      case 'check': {
        subCount += 1;
        const { status, reason, diagnostics } = event.outcome;
        const name = escapeDescription(event.name);
        if (status === 'skip') {
          out([`${INDENT}ok ${subCount} - ${name} # SKIP ${escapeDescription(reason ?? '')}`]);
        } else if (status === 'pass') {
          // A kept capture (--pcap-dir) is named after a passing point too, as a comment.
          const pcap = typeof diagnostics.pcap === 'string' ? [`${INDENT}# pcap: ${diagnostics.pcap.replace(/[\r\n]+/g, ' ')}`] : [];
          out([`${INDENT}ok ${subCount} - ${name}`, ...pcap]);
        } else {
          out([`${INDENT}not ok ${subCount} - ${name}`, ...yamlBlock({ ...(reason ? { message: reason } : {}), ...diagnostics, duration_ms: Math.round(event.durationMs) }, INDENT)]);
        }
        break;
      }
      case 'lab-error': {
        subCount += 1;
        const { message, ...rest } = event.error;
        out([`${INDENT}not ok ${subCount} - the lab builds`, ...yamlBlock({ message, ...rest }, INDENT)]);
        for (const check of event.checksNotRun) {
          subCount += 1;
          out([`${INDENT}ok ${subCount} - ${escapeDescription(check)} # SKIP the lab did not build`]);
        }
        break;
      }
      case 'scenario-end': {
        topCount += 1;
        // An interrupted scenario is never ok: its last point says where the interrupt landed.
        const interrupted = event.interrupted === undefined ? [] : [`${INDENT}not ok ${(subCount += 1)} - interrupted ${escapeDescription(event.interrupted)}`, ...yamlBlock({ message: `the run was interrupted ${event.interrupted}` }, INDENT)];
        const ok = event.failed === 0 && !event.broken && event.interrupted === undefined;
        out([...interrupted, `${INDENT}1..${subCount}`, `${ok ? 'ok' : 'not ok'} ${topCount} - ${escapeDescription(event.scenario)}`]);
        break;
      }
      case 'bail':
        out([`Bail out! ${escapeDescription(event.reason)}`]);
        break;
      case 'kept':
        out(event.hints.map((h) => `# ${h}`));
        break;
      default:
        break;
    }
  };
}
