// Helpers of the ssh tests that attack or restore hosts: a scenario file's text around some steps,
// and a fresh set of sshd hosts per test, since one that got through or undid the wrong thing
// would break the hosts it ran on.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadLab } from '../../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './sshd-hosts.ts';

const missing = await sshdMissing();

/** A three-nodes scenario with these steps (YAML, from `  - node:` on) and one ping check. */
export const scenarioText = (title: string, steps: string) => `lab: three-nodes
title: ${title}
tutorial: none
explain: none
steps:
${steps}
checks:
  - ping: { from: node0, to: 192.168.8.101 }
`;

/** The steps' YAML for commands run on node0. */
export const onNode0 = (run: readonly string[]) => `  - node: node0\n    run:\n${run.map((line) => `      - ${line}\n`).join('').trimEnd()}`;

/** One test on sshd hosts of its own, built before it and stopped after. */
export function onFreshHosts(title: string, body: (hosts: SshdHosts) => Promise<void>): void {
  describe.skipIf(missing !== undefined)(title, () => {
    let hosts: SshdHosts;
    beforeAll(async () => {
      hosts = await SshdHosts.build(await loadLab('three-nodes'));
    });
    afterAll(() => hosts?.stop());
    it('holds', () => body(hosts));
  });
}
