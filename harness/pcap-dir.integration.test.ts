// --pcap-dir: every capture kept as a classic libpcap file, named in the TAP.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEthernet } from './packets/decode.ts';
import { LINKTYPE_ETHERNET, readPcap } from './packets/pcap.ts';
import { loadScenario } from './scenario/resolve.ts';
import { runCli } from './testing/host.ts';
import { parseTap } from './testing/tap.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vxlab-pcaps-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('npm run lab -- p2p --pcap-dir DIR', () => {
  it('keeps each capture as SCENARIO-checkN-NODE.pcap, a classic pcap of the VXLAN traffic, named in the TAP', async () => {
    const pcaps = join(dir, 'new', 'pcaps'); // created by vxlab
    const r = await runCli(['p2p', '--reporter', 'tap', '--pcap-dir', pcaps]);
    expect(r.exitCode).toBe(0);
    expect(await parseTap(r.stdout)).toMatchObject({ ok: true, extra: [] });
    const scenario = await loadScenario('p2p');
    const captures = scenario.checks.flatMap((c, i) => (c.kind === 'capture' ? [`p2p-check${i + 1}-${c.spec.node}.pcap`] : []));
    expect(captures.length).toBeGreaterThan(0);
    expect((await readdir(pcaps)).sort()).toEqual(captures.sort());
    for (const name of captures) {
      const file = join(pcaps, name);
      expect(r.stdout).toContain(`    # pcap: ${file}\n`);
      const bytes = await readFile(file);
      // Classic libpcap (not pcapng): magic a1b2c3d4 in either byte order, version 2.4.
      expect(['d4c3b2a1', 'a1b2c3d4']).toContain(bytes.subarray(0, 4).toString('hex'));
      const pcap = readPcap(bytes);
      expect(pcap.linkType).toBe(LINKTYPE_ETHERNET);
      const vnis = pcap.records.map((rec) => decodeEthernet(rec.data)).flatMap((f) => (f.vxlan ? [f.vxlan.vni] : []));
      expect(vnis).toContain(42);
    }
  });
});
