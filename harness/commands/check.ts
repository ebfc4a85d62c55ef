// `check NAME`: the scenario's checks against a running lab, whether its steps were typed by hand
// or run by `up`. Same events, so the same reporters and exit codes as a run.
import type { EventSink } from '../report/events.ts';
import { ask } from './lab-client.ts';

export interface CheckSummary {
  failed: number;
  broken: number;
}

export async function checkLab(name: string, emit: EventSink): Promise<CheckSummary> {
  const summary: CheckSummary = { failed: 0, broken: 0 };
  await ask(name, { op: 'check' }, (reply) => {
    if (reply.type !== 'event') return;
    if (reply.event.type === 'run-end') Object.assign(summary, { failed: reply.event.failed, broken: reply.event.broken });
    emit(reply.event);
  });
  return summary;
}
