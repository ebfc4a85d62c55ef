// The run's marker goes in the restore's own round trip (one round trip less per host at
// teardown and clean), when every restore command succeeded; if the read after it still finds the
// host not restored, it is put back at once, so that `clean` can still undo the rest (that path:
// host-io.test.ts, against a scripted connection).
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const missing = await sshdMissing();
const CHILD = join(import.meta.dirname, 'testing', 'restore-child.ts');

describe.skipIf(missing !== undefined)('the marker at restore', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('two-vms'));
  });
  afterAll(() => hosts?.stop());
  const restore = async (mode = '') => {
    const r = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), process.execPath, '--import', 'tsx', CHILD, hosts.hostsFile, 'test-1', mode], { reject: false });
    expect(r.exitCode, `${r.stdout}${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as { left: string[]; markerRemoved: boolean; marker: string };
  };

  it('goes with the restore when the host is restored', async () => {
    expect(await restore()).toEqual({ left: [], markerRemoved: true, marker: 'none' });
  });

  // With no sysctl recorded, the restore is planned on the names the run owns, without a read first.
  it('goes too when the run owned a guest namespace, which goes with /run/netns that the run made', async () => {
    expect(await restore('netns')).toEqual({ left: [], markerRemoved: true, marker: 'none' });
  });

  it('stays for the caller to remove when a device the run owned was gone already (the planned delete failed), the host restored', async () => {
    expect(await restore('gone')).toEqual({ left: [], markerRemoved: false, marker: '{"first":1}' });
  });

});
