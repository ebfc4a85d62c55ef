// Dispatches a check to its kind. The only place that knows every kind of check.
import type { Check } from '../lab/model.ts';
import { runCapture } from './capture.ts';
import { runPing, runPings } from './ping.ts';
import { runState } from './state.ts';
import type { CheckContext, CheckOutcome } from './types.ts';

export function runCheck(check: Check, ctx: CheckContext): Promise<CheckOutcome> {
  switch (check.kind) {
    case 'ping':
      return runPing(check.spec, ctx);
    case 'pings':
      return runPings(check.specs, ctx);
    case 'capture':
      return runCapture(check.spec, check.during, check.vxlanPorts, ctx);
    case 'state':
      return runState(check.spec, ctx);
  }
}
