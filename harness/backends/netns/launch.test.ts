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

  it('reads bash\'s 128+N as killed by signal N', () => {
    expect(exitFromStatus(0)).toEqual({ code: 0, signal: null });
    expect(exitFromStatus(2)).toEqual({ code: 2, signal: null });
    expect(exitFromStatus(137)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(exitFromStatus(130)).toEqual({ code: null, signal: 'SIGINT' });
  });
});
