import { describe, expect, it } from 'vitest';
import { holderArgv, launcherScript } from './holder.ts';
import { markerFromLabel } from './marker.ts';

describe('launcherScript', () => {
  const script = launcherScript([['setpriv', '--', 'bwrap', "it's"], ['setpriv', '--', 'bwrap', 'b'], ['setpriv', '--', 'bwrap', 'c']]);
  const lines = script.trimEnd().split('\n');

  it('gives each holder its own socket as stdin, stdout and fd 3, and closes every other holder\'s', () => {
    expect(lines[0]).toBe(`'setpriv' '--' 'bwrap' 'it'\\''s' 0<&3 1>&3 4<&- 5<&- 3>&3 &`);
    expect(lines[1]).toBe("'setpriv' '--' 'bwrap' 'b' 0<&4 1>&4 3<&- 5<&- 3>&4 4<&- &");
    expect(lines[2]).toBe("'setpriv' '--' 'bwrap' 'c' 0<&5 1>&5 3<&- 4<&- 3>&5 5<&- &");
  });

  it('then closes its own copies (a holder\'s socket closes with its sandbox alone) and waits', () => {
    expect(lines.slice(3)).toEqual(['exec 3<&- 4<&- 5<&-', 'wait']);
  });
});

describe('holderArgv', () => {
  it('labels the sandbox, dies with the launcher, and in rootless mode drops what bwrap would refuse', () => {
    const spec = (rootless: boolean) => ({ label: 'vxlab-vx01-node0', plan: { hostname: 'node0', root: '/tmp/r', rootless, procKind: () => undefined }, owner: { runId: 'vx01', node: 'node0' } });
    const harness = { harnessPid: 4242, harnessStart: 99 };
    const argv = holderArgv(spec(false), harness);
    expect(argv.slice(0, 5)).toEqual(['setpriv', '--pdeathsig', 'KILL', '--', 'bwrap']);
    expect(argv.join(' ')).toContain('--clearenv --setenv VXLAB_NODE vxlab-vx01-node0 --setenv VXLAB_HARNESS 4242.99');
    expect(holderArgv(spec(true), harness).join(' ')).toContain('setpriv --pdeathsig KILL --inh-caps -all --ambient-caps -all -- bwrap');
    // With vxlab-enter, it gives the parent-death signal; rootless mode still needs setpriv's capability drop.
    expect(holderArgv(spec(false), harness, '/p/dist/vxlab-enter').slice(0, 4)).toEqual(['/p/dist/vxlab-enter', '--pdeathsig', '--', 'bwrap']);
    expect(holderArgv(spec(true), harness, '/p/dist/vxlab-enter').join(' ')).toContain('setpriv --pdeathsig KILL --inh-caps -all --ambient-caps -all -- bwrap');
  });
});

describe('markerFromLabel', () => {
  it("reads run, node and harness from a sandbox's label, and nothing from a label that is not whole", () => {
    expect(markerFromLabel('vxlab-vx01ab-test-1', '4242.99')).toEqual({ runId: 'vx01ab', node: 'test-1', harnessPid: 4242, harnessStart: 99 });
    expect(markerFromLabel('vxlab-vx01ab-node0', undefined)).toBeUndefined();
    expect(markerFromLabel('vxlab-vx01ab-node0', '4242')).toBeUndefined();
    expect(markerFromLabel('someone-else', '1.1')).toBeUndefined();
  });
});

