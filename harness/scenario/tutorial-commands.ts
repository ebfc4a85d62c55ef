// The configuration commands the tutorials type, read from their text: the lines after a root
// prompt (`root@node0:~# ` or `[root@test-1 ~]# `), with `\` continuations joined. Pure.
import { tokenize } from '../policy/command-line.ts';
import { readCommand, type CommandFacts } from '../policy/policy.ts';

const PROMPT = /^(?:root@[\w-]+:~# |\[root@[\w-]+ ~\]# )(.*)$/;

/** What changes configuration, by object and verb as the policy reads them. */
const CONFIGURES: Record<string, Record<string, string[]>> = {
  ip: { link: ['add', 'set'], address: ['add'], netns: ['add'], neighbor: ['add'] },
  bridge: { fdb: ['append'] },
};

function configures(facts: CommandFacts): boolean {
  if (facts.nested) return configures(facts.nested);
  return CONFIGURES[facts.program]?.[facts.object ?? '']?.includes(facts.verb ?? '') ?? false;
}

/** Commands that change configuration; `ip netns exec NS CMD` counts when CMD does. */
export function isConfiguration(command: string): boolean {
  let argv: string[];
  try {
    argv = tokenize(command).map((t) => t.value);
  } catch {
    return false;
  }
  const reading = readCommand(argv);
  return reading.facts !== undefined && configures(reading.facts);
}

export function tutorialCommands(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const commands: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = PROMPT.exec(lines[i]!);
    if (!match) continue;
    let command = match[1]!;
    while (/\\\s*$/.test(command) && i + 1 < lines.length) command = `${command.replace(/\\\s*$/, '')} ${lines[++i]!.trim()}`;
    command = command.replace(/\s+/g, ' ').trim();
    if (isConfiguration(command)) commands.push(command);
  }
  return commands;
}
