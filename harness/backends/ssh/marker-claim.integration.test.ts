// A claim's marker is never seen half-written by another run's preflight (attack7's race). The
// held claim script (preflight's round trip, kept open for the claim) runs in a mount namespace
// of its own, with a tmpfs on /run, and is given the marker's first half, then held: what another
// run would list of /run/vxlab at that moment is read with nsenter, then the rest is given.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../util/poll.ts';
import { LIST_MARKERS, CLAIM_WAIT, heldClaimScript, markerPath, parseMarkers, type SshMarker } from './marker.ts';

const marker: SshMarker = {
  runId: 'vxclaimtest',
  node: 'node0',
  harnessHost: 'elsewhere',
  harnessPid: 1,
  harnessStart: 1,
  bootId: 'b',
  before: { links: [], sysctls: {} } as unknown as SshMarker['before'],
  owned: { interfaces: ['a7'], namespaces: [] },
};

describe('a held claim', () => {
  it('lists no marker while its own is being written, then lists it whole', async () => {
    const json = JSON.stringify(marker);
    const half = json.slice(0, Math.floor(json.length / 2));
    const claim = execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs vxlab-claim-test /run || exit 9; ${heldClaimScript(markerPath(marker.runId))}`], { reject: false, timeout: 30_000 });
    try {
      claim.stdin.write(`${Buffer.byteLength(json)}\n${half}`);
      // Half the marker is in: `head -c` waits for the rest.
      const during = await pollUntil(async () => {
        const r = await execa('nsenter', ['-t', String(claim.pid), '-m', '--', 'sh', '-c', `ls -A /run/vxlab 2>/dev/null; echo ---; ${LIST_MARKERS}`], { reject: false });
        // Its own draft, not whatever /run/vxlab held before the namespace's tmpfs was mounted.
        return r.stdout.split('---')[0]!.includes(marker.runId) ? r.stdout : undefined;
      }, { what: 'the claim to start writing its marker', timeoutMs: 10_000 });
      const [files, listing] = during.split('---') as [string, string];
      expect(files.trim(), during).toBe(`.${marker.runId}.json.new`);
      expect(parseMarkers(listing.trim()), during).toEqual({ markers: [], unreadable: [] });
      claim.stdin.end(json.slice(half.length));
      const done = await claim;
      expect(done.exitCode, done.stderr).toBe(0);
      const after = done.stdout.slice(done.stdout.indexOf(`${CLAIM_WAIT}\n`) + CLAIM_WAIT.length + 1);
      expect(parseMarkers(after)).toEqual({ markers: [marker], unreadable: [] });
    } finally {
      claim.kill('SIGKILL');
      await claim;
    }
  });

  it('that its input cut short leaves no marker and no draft, and fails', async () => {
    const json = JSON.stringify(marker);
    const r = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs vxlab-claim-test /run || exit 9; ${heldClaimScript(markerPath(marker.runId))}; s=$?; ls -A /run/vxlab; exit $s`], { input: `${Buffer.byteLength(json)}\n${json.slice(0, 12)}`, reject: false, timeout: 30_000 });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout.trim()).toBe(CLAIM_WAIT);
  });
});

describe('the markers listed beside a run that ends', () => {
  it('never show a marker its run removes meanwhile as cut short', async () => {
    const json = JSON.stringify({ ...marker, runId: 'vxother' });
    // One loop writes a marker as a claim does (draft, rename) and removes it as a teardown does;
    // the other lists the markers, as another run's preflight would, until the deadline.
    const script = [
      'mount -t tmpfs vxlab-list-test /run || exit 9',
      'mkdir -p /run/vxlab',
      `( while :; do printf '%s' "$1" > /run/vxlab/.vxother.json.new && mv -f /run/vxlab/.vxother.json.new /run/vxlab/vxother.json; rm -f /run/vxlab/vxother.json; done ) &`,
      'end=$(( $(date +%s) + 4 ))',
      `while [ "$(date +%s)" -lt "$end" ]; do ${LIST_MARKERS}; echo ---; done`,
      'kill $!',
    ].join('\n');
    const r = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'vxlab', json], { reject: false, timeout: 60_000, maxBuffer: 512 * 1024 * 1024 });
    expect(r.exitCode, r.stderr).toBe(0);
    const listings = r.stdout.split('---\n').slice(0, -1).map((l) => parseMarkers(l));
    const cutShort = listings.filter((l) => l.unreadable.length > 0).length;
    const seen = listings.filter((l) => l.markers.length > 0).length;
    // The moment happened: the marker was there in some listings and gone in others.
    expect(seen, `${listings.length} listings`).toBeGreaterThan(50);
    expect(listings.length - seen - cutShort, `${listings.length} listings`).toBeGreaterThan(50);
    expect(cutShort, `${listings.length} listings, ${seen} with the marker`).toBe(0);
  });
});

