// The configuration commands the tutorials type, read from their text: the lines after a root
// prompt (`root@node0:~# ` or `[root@test-1 ~]# `), with `\` continuations joined. Pure.

const PROMPT = /^(?:root@[\w-]+:~# |\[root@[\w-]+ ~\]# )(.*)$/;
const CONFIGURATION = /^(?:ip link (?:add|set) |ip addr add |ip netns add |bridge fdb append |ip neigh add )/;
const NETNS_EXEC = /^ip netns exec \S+ (.*)$/;

/** Commands that change configuration; `ip netns exec NS CMD` counts when CMD does. */
export function isConfiguration(command: string): boolean {
  const inner = NETNS_EXEC.exec(command)?.[1];
  return CONFIGURATION.test(inner ?? command);
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
