import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { splitStateReads, stateReadScript } from './host-io.ts';
import { STATE_READS, parseHostState } from './host-state.ts';

describe('the batched state read', () => {
  it('gives each read its own output and the sysctl values, run by sh here (reads only)', async () => {
    const r = await execa('sh', ['-c', stateReadScript(['net.ipv4.ip_forward', 'net.ipv4.conf.vxlab-none.forwarding'])], { env: { LC_ALL: 'C' } });
    const { outputs, sysctls } = splitStateReads(r.stdout);
    expect(outputs).toHaveLength(STATE_READS.length);
    expect(JSON.parse(outputs[0]!)).toContainEqual(expect.objectContaining({ ifname: 'lo' }));
    expect(['yes', 'no']).toContain(outputs[STATE_READS.length - 1]!.trim());
    // The key that does not exist is left out, not an error; ip_forward brings every device's forwarding.
    expect(sysctls['net.ipv4.conf.vxlab-none.forwarding']).toBeUndefined();
    for (const key of ['net.ipv4.ip_forward', 'net.ipv4.conf.all.accept_redirects', 'net.ipv4.conf.all.forwarding', 'net.ipv4.conf.default.forwarding', 'net.ipv4.conf.lo.forwarding']) expect(sysctls[key]).toMatch(/^[01]$/);
    expect(Object.keys(sysctls).filter((k) => !/^net\.ipv4\.(ip_forward|conf\.all\.accept_redirects|conf\.[^.]+\.forwarding)$/.test(k))).toEqual([]);
    expect(parseHostState(outputs, sysctls).links.lo).toMatchObject({ mtu: 65536 });
  });

  it('reads a recorded state\'s keys exactly: an all key recorded beside ip_forward brings no more keys on the re-read', async () => {
    const first = splitStateReads((await execa('sh', ['-c', stateReadScript(['net.ipv4.ip_forward'])], { env: { LC_ALL: 'C' } })).stdout).sysctls;
    const again = splitStateReads((await execa('sh', ['-c', stateReadScript(Object.keys(first), true)], { env: { LC_ALL: 'C' } })).stdout).sysctls;
    expect(Object.keys(again).sort()).toEqual(Object.keys(first).sort());
  });

  it('stops at a read that fails, with its exit code', async () => {
    const r = await execa('sh', ['-c', stateReadScript([]).replace("'ip' '-j' '-d' 'link' 'show'", "'ip' '-j' 'link' 'show' 'dev' 'vxlab-none'")], { reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/vxlab-none/);
  });
});
