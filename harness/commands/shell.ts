// `shell NAME NODE`: the tutorial's prompt (`root@node0:~#`) on a node. Nodes have no shell of
// their own (containment), so each line is split the way a scenario's command is and run through
// the same policed executor as `exec`; `exit` or Ctrl-D leaves.
import { createInterface } from 'node:readline';
import { CommandSyntaxError, tokenize } from '../policy/command-line.ts';
import { errorMessage } from '../util/errors.ts';
import { execInLab, shellExitCode } from './exec.ts';
import { runningLab } from './lab-client.ts';

export interface ShellIo {
  input: NodeJS.ReadableStream;
  out: (text: string) => void;
  err: (text: string) => void;
  terminal: boolean;
}

export async function shell(name: string, node: string, io: ShellIo): Promise<number> {
  await runningLab(name);
  const prompt = `root@${node}:~# `;
  const rl = createInterface({ input: io.input, terminal: io.terminal, ...(io.terminal ? { output: process.stdout } : {}) });
  let last = 0;
  const showPrompt = () => (io.terminal ? rl.prompt() : io.out(prompt));
  rl.setPrompt(prompt);
  // Ctrl-C at the prompt drops the line, as a shell does (`exit` or Ctrl-D leaves).
  rl.on('SIGINT', () => {
    io.out('^C\n');
    showPrompt();
  });
  io.err(`vxlab shell on ${node} of lab ${name}: each line runs as one command (no pipes or variables); \`exit\` leaves\n`);
  showPrompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === 'exit' || line === 'logout') break;
    if (line && !line.startsWith('#')) {
      try {
        // The prompt is root's already: a `sudo` copied from the tutorial changes nothing.
        const argv = tokenize(line).map((t) => t.value);
        const result = await execInLab(name, node, argv[0] === 'sudo' ? argv.slice(1) : argv);
        io.out(result.stdout);
        io.err(result.stderr);
        last = shellExitCode(result);
      } catch (error) {
        io.err(`vxlab: ${error instanceof CommandSyntaxError ? `this line ${error.message}` : errorMessage(error)}\n`);
        last = error instanceof CommandSyntaxError ? 2 : 1;
      }
    }
    showPrompt();
  }
  rl.close();
  if (!io.terminal) io.out('\n');
  return last;
}
