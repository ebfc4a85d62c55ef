// Every escape attempt in fixtures/escapes.ts is refused at load time, at the word that was typed.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../scenario/resolve.ts';
import { ValidationError, type ValidationIssue } from '../util/errors.ts';
import { ESCAPES } from './fixtures/escapes.ts';

const FILE = 'escape.yaml';
const scenario = (command: string) =>
  `lab: three-nodes\ntitle: t\ntutorial: s\nexplain: e\nsteps:\n  - node: node0\n    run:\n      - ${JSON.stringify(command)}\nchecks:\n  - ping: { from: node0, to: 10.20.1.3 }\n`;
// The command's string starts at line 8, column 9 with its opening quote.
const LINE = 8;
const FIRST_COLUMN = 10;

async function issues(text: string): Promise<ValidationIssue[]> {
  try {
    await parseScenarioText(FILE, text);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  return [];
}

describe('escape attempts', () => {
  it('number at least 80', () => {
    expect(ESCAPES.length).toBeGreaterThanOrEqual(80);
  });

  it.each(ESCAPES)('refuses %s at the marked word', async (marked, reason) => {
    const offset = marked.indexOf('»');
    expect(offset).toBeGreaterThanOrEqual(0);
    const command = marked.replace('»', '');
    const found = await issues(scenario(command));
    expect(found.map((i) => `${i.line}:${i.col}: ${i.path} ${i.message}`)).toEqual([
      expect.stringMatching(new RegExp(`^${LINE}:${FIRST_COLUMN + offset}: steps\\[0\\]\\.run\\[0\\] .*${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
    ]);
  });

  it.each([
    ['-w/etc/passwd', 0],
    ['udp and -w /etc/x', 8],
    ['port 4789 and --help', 14],
  ])('refuses capture filter %j at the word that starts with "-"', async (filter, offset) => {
    const text = `lab: three-nodes\ntitle: t\ntutorial: s\nexplain: e\nsteps:\n  - node: node0\n    run: [ip link set lo up]\nchecks:\n  - capture:\n      node: node1\n      interface: enp0s8\n      filter: ${JSON.stringify(filter)}\n      during: [{ ping: { from: node0, to: 10.20.1.3 } }]\n      expect: [{ that: x, match: { vxlan: { vni: 42 } }, count: 1 }]\n`;
    const found = await issues(text);
    expect(found.map((i) => `${i.line}:${i.col}: ${i.path} ${i.message}`)).toEqual([
      expect.stringMatching(new RegExp(`^12:${16 + offset}: checks\\[0\\]\\.capture\\.filter has filter word "-`)),
    ]);
  });
});
