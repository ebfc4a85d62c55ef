// Reads TAP back the way a strict consumer does.
import { Parser, type FinalResults } from 'tap-parser';

export interface TapSummary {
  ok: boolean;
  count: number;
  pass: number;
  fail: number;
  skip: number;
  bailout: string | boolean;
  plan: FinalResults['plan'];
  failures: FinalResults['failures'];
  /** Lines that are not TAP: a strict consumer rejects any. */
  extra: string[];
}

export function parseTap(text: string): Promise<TapSummary> {
  return new Promise((resolve) => {
    const extra: string[] = [];
    const parser = new Parser({ strict: true }, (r) =>
      resolve({ ok: r.ok, count: r.count, pass: r.pass, fail: r.fail, skip: r.skip, bailout: r.bailout, plan: r.plan, failures: r.failures, extra }),
    );
    parser.on('extra', (line: string) => extra.push(line));
    parser.end(text);
  });
}

/** Each scenario's test points (`ok 3 - name`), from a TAP stream of one or more scenarios. */
export function pointsByScenario(tap: string): Record<string, string[]> {
  const points: Record<string, string[]> = {};
  let current = '';
  for (const line of tap.split('\n')) {
    const subtest = /^# Subtest: (.+)$/.exec(line);
    if (subtest) points[(current = subtest[1]!)] = [];
    else if (/^ {4}(not )?ok \d+ - /.test(line)) points[current]!.push(line.trim());
  }
  return points;
}

/** The failing points of a scenario's TAP, each with its YAML block (the evidence), for a test's failure message. */
export function failingPoints(tap: string): string[] {
  return tap.split(/\n(?= {4}(?:not )?ok )/).filter((block) => block.startsWith('    not ok'));
}
