// Around the whole integration suite: the root namespace (links, addresses, routes, rules,
// permanent neighbours, every net.ipv4/net.ipv6 and kernel sysctl, the nftables ruleset), the
// hostname and a few host files (passwd, shadow, hosts...) must come out exactly as they went
// in. Any difference fails the run.
import { hostSnapshot, snapshotDifferences } from './host.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const before = await hostSnapshot();
  return async () => {
    const changed = snapshotDifferences(before, await hostSnapshot());
    if (changed.length > 0) {
      // vitest reports an error thrown here but still exits 0: set the exit code as well.
      process.exitCode = 1;
      throw new Error(`the integration suite changed the host:\n${changed.join('\n')}`);
    }
  };
}
