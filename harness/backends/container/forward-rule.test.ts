import { describe, expect, it } from 'vitest';
import { forwardRuleSpec, forwardRules } from './forward-rule.ts';

describe('forwardRules', () => {
  it("finds this backend's DOCKER-USER rules by their comment, as `iptables -D` arguments", () => {
    const saved = [
      '-N DOCKER-USER',
      '-A DOCKER-USER -i br-vx12ab34cd -o br-vx12ab34cd -m comment --comment vxlab-vx12ab34cd -j ACCEPT',
      '-A DOCKER-USER -i br-vxffff0000 -o br-vxffff0000 -m comment --comment "vxlab-vxffff0000" -j ACCEPT',
      '-A DOCKER-USER -i docker0 -m comment --comment "someone else" -j ACCEPT',
      '-A DOCKER-USER -j RETURN',
    ].join('\n');
    expect(forwardRules(saved)).toEqual([
      { runId: 'vx12ab34cd', spec: ['DOCKER-USER', '-i', 'br-vx12ab34cd', '-o', 'br-vx12ab34cd', '-m', 'comment', '--comment', 'vxlab-vx12ab34cd', '-j', 'ACCEPT'] },
      { runId: 'vxffff0000', spec: ['DOCKER-USER', '-i', 'br-vxffff0000', '-o', 'br-vxffff0000', '-m', 'comment', '--comment', 'vxlab-vxffff0000', '-j', 'ACCEPT'] },
    ]);
  });

  it('reads the rule it adds back as the same arguments', () => {
    const spec = forwardRuleSpec('br-vx12ab34cd', 'vx12ab34cd');
    expect(forwardRules(`-A ${spec.join(' ')}\n`)).toEqual([{ runId: 'vx12ab34cd', spec }]);
  });
});
