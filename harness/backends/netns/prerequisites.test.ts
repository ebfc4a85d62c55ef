import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { vxlanModuleLoaded } from './prerequisites.ts';

describe('the VXLAN driver check', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const sysModule = (modules: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'vxlab-sysmodule-'));
    dirs.push(dir);
    for (const m of modules) mkdirSync(join(dir, m));
    return dir;
  };

  it('skips the probe namespace only when the kernel lists the vxlan module', () => {
    expect(vxlanModuleLoaded(sysModule(['bridge', 'vxlan']))).toBe(true);
    expect(vxlanModuleLoaded(sysModule(['bridge', 'veth']))).toBe(false);
    // A module whose name merely starts the same is another module.
    expect(vxlanModuleLoaded(sysModule(['vxlan_gpe']))).toBe(false);
  });
});
