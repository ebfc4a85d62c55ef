// The wrapper's last stderr line says how each part of a sequence ended; the harness reads it
// only at the very end of stderr and only with the wrapper's own PID (a program cannot fake it).
import { describe, expect, it } from 'vitest';
import { partsIn } from './connection.ts';

describe('the wrapper\'s parts line', () => {
  it('gives each part\'s status and marker word, and the program\'s stderr without the line', () => {
    expect(partsIn('said\nvxlab-parts 41 0:marked 0 2\n', 41)).toEqual({
      stderr: 'said\n',
      outcomes: [{ exitCode: 0, marked: 'marked' }, { exitCode: 0, marked: 'no' }, { exitCode: 2, marked: 'no' }],
    });
    expect(partsIn('vxlab-parts 7 0:unverified\n', 7)).toEqual({ stderr: '', outcomes: [{ exitCode: 0, marked: 'unverified' }] });
  });

  it('says nothing when the line is not the last, names another PID, or is missing', () => {
    expect(partsIn('vxlab-parts 41 0:marked\nmore\n', 41)).toEqual({ stderr: 'vxlab-parts 41 0:marked\nmore\n' });
    expect(partsIn('vxlab-parts 40 0:marked\n', 41)).toEqual({ stderr: 'vxlab-parts 40 0:marked\n' });
    expect(partsIn('x vxlab-parts 41 0\n', 41)).toEqual({ stderr: 'x vxlab-parts 41 0\n' });
    expect(partsIn('vxlab-parts 41 0\n', undefined)).toEqual({ stderr: 'vxlab-parts 41 0\n' });
    expect(partsIn('', 41)).toEqual({ stderr: '' });
  });
});
