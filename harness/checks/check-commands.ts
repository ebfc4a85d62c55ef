// The commands a check runs on its nodes, in the order it runs them (the capture's tcpdump, its
// actions, a ping, a state read), so the loader can hold them to the host scope as it holds steps.
import type { Check, Command } from '../lab/model.ts';
import { tcpdumpArgv } from './capture.ts';
import { pingArgv } from './ping.ts';
import { TABLE_COMMANDS } from './state-tables.ts';
import { inNetns } from './ping.ts';

export type CheckCommand = { node: string; argv: readonly string[]; command?: Command; field: string[] };

export function checkCommands(check: Check): CheckCommand[] {
  switch (check.kind) {
    case 'ping':
      return [{ node: check.spec.from, argv: pingArgv(check.spec), field: ['ping'] }];
    case 'pings':
      return check.specs.map((spec) => ({ node: spec.from, argv: pingArgv(spec), field: ['ping'] }));
    case 'state':
      return [{ node: check.spec.node, argv: inNetns(check.spec.netns, TABLE_COMMANDS[check.spec.table]), field: ['state'] }];
    case 'capture':
      return [
        { node: check.spec.node, argv: tcpdumpArgv(check.spec), field: ['capture', 'interface'] },
        ...check.during.flatMap((a): CheckCommand[] =>
          a.kind === 'ping'
            ? [{ node: a.spec.from, argv: pingArgv(a.spec), field: ['capture', 'during'] }]
            : a.commands.map((command) => ({ node: a.node, argv: command.argv, command, field: ['capture', 'during'] })),
        ),
      ];
  }
}
