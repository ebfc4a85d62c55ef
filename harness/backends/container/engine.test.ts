import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BUILT_CLI } from '../../build/bundle.ts';
import { PROJECT_ROOT } from '../../scenario/project-root.ts';
import { usePreload } from '../../testing/preload.ts';

// A preload lists the testcontainers files the built CLI loads, engine or no engine.
describe('clean --backend container', () => {
  const preload = usePreload([
    "const Module = require('module'); const loaded = new Set(); const real = Module._load;",
    'Module._load = function (request, parent, ...rest) { const r = real.call(this, request, parent, ...rest);',
    "  try { const f = Module._resolveFilename(request, parent); if (f.includes('/node_modules/testcontainers/build/')) loaded.add(f.replace(/.*\\/testcontainers\\/build\\//, '')); } catch {}",
    '  return r; };',
    "process.on('exit', () => process.stderr.write(`\\nloaded=${JSON.stringify([...loaded])}\\n`));",
  ]);

  it("loads testcontainers' engine client alone, not the whole package", () => {
    const r = spawnSync(process.execPath, ['-r', preload(), BUILT_CLI, 'clean', '--backend', 'container'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    const listed = /\nloaded=(\[.*\])\n$/.exec(r.stderr);
    expect(listed, r.stderr).not.toBeNull();
    const loaded = JSON.parse(listed![1]!) as string[];
    // Whether an engine answers (exit 0) or not (exit 3), the client was what it asked.
    expect([0, 3], r.stderr).toContain(r.status);
    expect(loaded).toContain('container-runtime/index.js');
    expect(loaded).not.toContain('index.js');
    expect(loaded.filter((f) => f.startsWith('generic-container/'))).toEqual([]);
  });
});
