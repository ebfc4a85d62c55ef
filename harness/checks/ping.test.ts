import { describe, expect, it } from 'vitest';
import type { PingSpec } from '../scenario/schema.ts';
import { judgePing, parsePingCounts, pingArgv } from './ping.ts';

const spec = (over: Partial<PingSpec> = {}): PingSpec => ({ from: 'node0', to: '10.20.1.3', count: 3, expect: 'reachable', ...over });
const result = (stdout: string, exitCode = 0) => ({ exitCode, stdout, stderr: '', durationMs: 1, timedOut: false });
const STATS = (tx: number, rx: number) => `--- 10.20.1.3 ping statistics ---\n${tx} packets transmitted, ${rx} received, ${tx === rx ? 0 : 100}% packet loss, time 2ms\n`;

describe('pingArgv', () => {
  it('runs ping with a count at a short interval, exactly count echoes, with a 5 s reply wait when reachable and a short window when not', () => {
    expect(pingArgv(spec())).toEqual(['ping', '-n', '-c', '3', '-i', '0.002', '-W', '5', '10.20.1.3']);
    expect(pingArgv(spec({ expect: 'unreachable', count: 1 }))).toEqual(['ping', '-n', '-c', '1', '-i', '0.002', '-W', '0.1', '10.20.1.3']);
    expect(pingArgv(spec({ expect: 'unreachable', count: 1, timeoutSeconds: 2 }))).toEqual(['ping', '-n', '-c', '1', '-i', '0.002', '-W', '2', '10.20.1.3']);
  });
  it('pings from a guest namespace the way a learner types it, with DF and a size', () => {
    expect(pingArgv(spec({ netns: 'vm0', size: 1368, dontFragment: true, timeoutSeconds: 9 }))).toEqual([
      'ip', 'netns', 'exec', 'vm0', 'ping', '-n', '-c', '3', '-i', '0.002', '-W', '9', '-s', '1368', '-M', 'do', '10.20.1.3',
    ]);
  });
});

describe('judgePing', () => {
  it('passes reachable when every echo is answered', () => {
    expect(judgePing(spec(), result(STATS(3, 3))).status).toBe('pass');
  });
  it('fails reachable with expected and got', () => {
    const outcome = judgePing(spec(), result(STATS(25, 0), 1));
    expect(outcome.status).toBe('fail');
    expect(outcome.diagnostics).toMatchObject({ expected: '3 replies from 10.20.1.3', got: '0 of 25 echo requests answered', node: 'node0' });
  });
  it('passes unreachable only when nothing came back', () => {
    expect(judgePing(spec({ expect: 'unreachable' }), result(STATS(10, 0), 1)).status).toBe('pass');
    expect(judgePing(spec({ expect: 'unreachable' }), result(STATS(10, 1), 0)).status).toBe('fail');
  });
  it('counts a local "message too long" as unreachable', () => {
    const stdout = 'PING 10.20.1.3 (10.20.1.3) 1423(1451) bytes of data.\nping: local error: message too long, mtu=1450\n\n' + STATS(5, 0);
    expect(judgePing(spec({ expect: 'unreachable', dontFragment: true, size: 1423 }), result(stdout, 1)).status).toBe('pass');
  });
  it('fails when ping says nothing it can count', () => {
    expect(judgePing(spec(), { ...result('', 2), stderr: 'ping: connect: Network is unreachable' })).toMatchObject({ status: 'fail', diagnostics: { output: 'ping: connect: Network is unreachable' } });
    expect(parsePingCounts('1 packets transmitted, 1 received')).toEqual({ transmitted: 1, received: 1 });
  });
});
