import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { exitFromStatus, groupScript } from './launch.ts';

describe('a group of programs from one bash', () => {
  it('gives each program its own fds, quoted argv, and closes every other program\'s', () => {
    const script = groupScript([{ argv: ['ip', "it's"], hasInput: false }, { argv: ['ip', '-batch', '-'], hasInput: true }]);
    const lines = script.split('\n');
    expect(lines[0]).toBe('set -m');
    expect(lines[2]).toBe(`'ip' 'it'\\''s' 0</dev/null 1>&3 2>&4 3>&- 4>&- 6>&- 7>&- 8>&- &`);
    expect(lines[4]).toBe(`'ip' '-batch' '-' 0<&8 8>&- 1>&6 2>&7 6>&- 7>&- 3>&- 4>&- &`);
    expect(lines[5]).toBe('at[$!]=1; echo "start 1 $!"');
    expect(script).toContain('exec 3>&- 4>&- 6>&- 7>&- 8>&-\n');
  });

  it('reports every program\'s end with its status even when `wait -n` gives up early (bash lost track of a job)', async () => {
    // A group lost a program's end once under load (its members failed with "the group launcher
    // ended before this program did"). Here a shim makes the first `wait -n` give up at once.
    const items = [{ argv: ['sh', '-c', 'exit 3'], hasInput: false }, { argv: ['sleep', '0.2'], hasInput: false }, { argv: ['sh', '-c', 'exit 5'], hasInput: false }];
    const open = [3, 4, 6, 7, 9, 10].map((fd) => `exec ${fd}>/dev/null`).join('\n');
    const shim = 'wait() { if [ "$1" = -n ] && [ -z "$gaveUp" ]; then gaveUp=1; return 127; fi; builtin wait "$@"; }';
    const r = await execa('bash', ['-c', `${open}\n${shim}\n${groupScript(items)}`]);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('end ')).sort()).toEqual(['end 0 3', 'end 1 0', 'end 2 5']);
    // Without the shim, each is reported once.
    const plain = await execa('bash', ['-c', `${open}\n${groupScript(items)}`]);
    expect(plain.stdout.split('\n').filter((l) => l.startsWith('end ')).sort()).toEqual(['end 0 3', 'end 1 0', 'end 2 5']);
  });

  it('reads bash\'s 128+N as killed by signal N', () => {
    expect(exitFromStatus(0)).toEqual({ code: 0, signal: null });
    expect(exitFromStatus(2)).toEqual({ code: 2, signal: null });
    expect(exitFromStatus(137)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(exitFromStatus(130)).toEqual({ code: null, signal: 'SIGINT' });
  });
});
