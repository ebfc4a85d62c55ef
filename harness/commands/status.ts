// `status`: the labs brought `up` on this machine, and forgets those whose supervisor is gone.
import { listRecords, removeRecord } from '../learner/records.ts';

function age(startedAt: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(startedAt)) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export async function status(say: (text: string) => void): Promise<void> {
  const states = await listRecords();
  const live = states.filter((s) => s.alive);
  for (const { record } of states.filter((s) => !s.alive)) {
    await removeRecord(record.name);
    say(`forgot lab ${record.name}: its supervisor (PID ${record.harnessPid}) is gone; \`npm run lab -- clean\` removes what it left\n`);
  }
  if (live.length === 0) return say('no lab is up (start one with `npm run lab -- up NAME`)\n');
  const rows = live.map(({ record: r }) => [r.name, r.backend, r.bare ? 'bare' : 'steps run', r.nodes.join(','), age(r.startedAt), String(r.harnessPid)]);
  const header = ['LAB', 'BACKEND', 'STATE', 'NODES', 'UP FOR', 'SUPERVISOR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) say(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
}
