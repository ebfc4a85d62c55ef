import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from './events.ts';
import { createJunitWriter } from './junit.ts';
import { escapeXml, renderJunit } from './junit-xml.ts';

function render(events: RunEvent[]): string[] {
  const docs: string[] = [];
  const write = createJunitWriter((t) => docs.push(t));
  events.forEach(write);
  return docs;
}

/** Parses strictly: a document that is not well-formed fails the test with the parser's reason. */
function parse(xml: string): Record<string, unknown> {
  const valid = XMLValidator.validate(xml);
  expect(valid).toBe(true);
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name), textNodeName: '#text' });
  return parser.parse(xml) as Record<string, unknown>;
}

const info = (name: string, checks: number) => ({ name, title: `${name} title`, tutorial: 'seed 000', checks });
const start = (name: string, checks = 2): RunEvent => ({ type: 'scenario-start', scenario: info(name, checks), lab: 'l', diagram: 'd', explain: 'e' });
const end = (name: string, failed: number, broken = false): RunEvent => ({ type: 'scenario-end', scenario: name, passed: 1, failed, skipped: 0, broken, durationMs: 1500 });

describe('JUnit writer', () => {
  it('writes one testsuite per scenario and one testcase per check, diagnostics in failure', () => {
    const docs = render([
      { type: 'run-start', runId: 'vx1', backend: 'netns', scenarios: [info('p2p', 3), info('multicast', 1)] },
      start('p2p', 3),
      { type: 'step', scenario: 'p2p', node: 'node0', index: 0, commands: [{ text: 'ip link set lo up' }] },
      { type: 'check', scenario: 'p2p', number: 1, name: 'node0 reaches 10.20.1.3', outcome: { status: 'pass', diagnostics: {} }, durationMs: 250 },
      {
        type: 'check', scenario: 'p2p', number: 2, name: 'no ARP <inside> & "VXLAN"', durationMs: 5,
        outcome: { status: 'fail', reason: 'expected none, got 2 <ARP>', diagnostics: { node: 'node1', got: 2, packets: ['a > b: ARP & "request"', 'bell \u0007 here'] } },
      },
      { type: 'check', scenario: 'p2p', number: 3, name: 'skipped one', outcome: { status: 'skip', reason: 'no reason', diagnostics: {} }, durationMs: 0 },
      end('p2p', 1),
      start('multicast', 1),
      { type: 'check', scenario: 'multicast', number: 1, name: 'ok', outcome: { status: 'pass', diagnostics: {} }, durationMs: 1 },
      end('multicast', 0),
      { type: 'run-end', passed: 2, failed: 1, skipped: 1, broken: 0, durationMs: 3000 },
    ]);
    expect(docs).toHaveLength(1);
    const xml = docs[0]!;
    expect(xml).not.toContain('\u0007');
    const doc = parse(xml) as { testsuites: { '@tests': string; '@failures': string; '@skipped': string; testsuite: Array<Record<string, unknown> & { testcase: Array<Record<string, unknown>> }> } };
    expect(doc.testsuites).toMatchObject({ '@name': 'vxlab', '@tests': '4', '@failures': '1', '@errors': '0', '@skipped': '1', '@time': '3.000' });
    const [p2p, multicast] = doc.testsuites.testsuite;
    expect(p2p).toMatchObject({ '@name': 'p2p', '@tests': '3', '@failures': '1', '@skipped': '1', '@time': '1.500' });
    expect(p2p!.properties).toEqual({ property: [
      { '@name': 'backend', '@value': 'netns' }, { '@name': 'runId', '@value': 'vx1' }, { '@name': 'title', '@value': 'p2p title' }, { '@name': 'tutorial', '@value': 'seed 000' },
    ] });
    expect(p2p!.testcase.map((c) => c['@name'])).toEqual(['node0 reaches 10.20.1.3', 'no ARP <inside> & "VXLAN"', 'skipped one']);
    expect(p2p!.testcase[0]).toEqual({ '@name': 'node0 reaches 10.20.1.3', '@classname': 'vxlab.netns.p2p', '@time': '0.250' });
    const failure = p2p!.testcase[1]!.failure as Record<string, string>;
    expect(failure['@message']).toBe('expected none, got 2 <ARP>');
    expect(failure['#text']).toContain('node: node1');
    expect(failure['#text']).toContain(`- 'a > b: ARP & "request"'`);
    expect(p2p!.testcase[2]!.skipped).toEqual({ '@message': 'no reason' });
    expect(multicast).toMatchObject({ '@name': 'multicast', '@tests': '1', '@failures': '0' });
  });

  it('reports a broken lab as an error and the checks it kept from running as skipped', () => {
    const [xml] = render([
      { type: 'run-start', runId: 'vx1', backend: 'container', scenarios: [info('p2p', 2)] },
      start('p2p'),
      { type: 'lab-error', scenario: 'p2p', error: { message: 'step 1 failed on node0', node: 'node0', command: 'ip link set nosuch up', exitCode: 1, output: 'Cannot find device "nosuch"' }, checksNotRun: ['a', 'b'] },
      end('p2p', 0, true),
      { type: 'run-end', passed: 0, failed: 0, skipped: 0, broken: 1, durationMs: 3000 },
    ]);
    const doc = parse(xml!) as { testsuites: { testsuite: Array<{ testcase: Array<Record<string, Record<string, string>>> }> } };
    expect(doc.testsuites).toMatchObject({ '@tests': '3', '@errors': '1', '@skipped': '2', '@failures': '0' });
    const cases = doc.testsuites.testsuite[0]!.testcase;
    expect(cases[0]!['@name']).toBe('the lab builds');
    expect(cases[0]!['@classname']).toBe('vxlab.container.p2p');
    expect(cases[0]!.error!['@message']).toBe('step 1 failed on node0');
    expect(cases[0]!.error!['#text']).toContain('command: ip link set nosuch up');
    expect(cases.slice(1).map((c) => c.skipped)).toEqual([{ '@message': 'the lab did not build' }, { '@message': 'the lab did not build' }]);
  });

  it('ends the document on a bail out, with the interrupt as an error', () => {
    const docs = render([
      { type: 'run-start', runId: 'vx1', backend: 'netns', scenarios: [info('p2p', 2)] },
      start('p2p'),
      end('p2p', 0),
      { type: 'bail', reason: 'interrupted by SIGINT; the lab was torn down' },
    ]);
    expect(docs).toHaveLength(1);
    const doc = parse(docs[0]!) as { testsuites: { testsuite: Array<{ testcase: Array<Record<string, Record<string, string>>> }> } };
    expect(doc.testsuites).toMatchObject({ '@errors': '1' });
    expect(doc.testsuites.testsuite[0]!.testcase.at(-1)!.error!['@message']).toBe('interrupted by SIGINT; the lab was torn down');
  });

  it('writes a skipped run when a prerequisite is missing', () => {
    const [xml] = render([{ type: 'skip-all', reason: 'tcpdump is not installed' }]);
    expect(parse(xml!)).toMatchObject({ testsuites: { '@tests': '1', '@skipped': '1' } });
  });

  it('escapes text and attributes, and drops what XML cannot hold', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('nul\u0000 esc\u001b tab\tline\n \ud800 ok é 🦀')).toBe('nul\ufffd esc\ufffd tab\tline\n \ufffd ok é 🦀');
    const xml = renderJunit([{ name: 's]]>', properties: {}, cases: [{ name: 'multi\nline', classname: 'c', result: { status: 'fail', message: 'two\nlines', details: ']]> <![CDATA[' } }] }]);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('message="two&#10;lines"');
  });
});
