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
    case 'state': {
      const { node, netns, table, expect } = check.spec;
      // The check reads the whole table and keeps the entries of the devices it names: for the
      // policy it reads each of those as a step would (`ip addr show dev X`), so an ssh host's
      // scope holds them to the lab's NIC and the steps' own devices.
      const named = [expect.dev, ...[...(expect.contains ?? []), ...(expect.lacks ?? []), ...(expect.only ?? [])].map((e) => e.dev)].filter((d): d is string => typeof d === 'string');
      return [TABLE_COMMANDS[table], ...[...new Set(named)].map((dev) => [...TABLE_COMMANDS[table], 'dev', dev])].map((argv) => ({ node, argv: inNetns(netns, argv), field: ['state'] }));
    }
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
