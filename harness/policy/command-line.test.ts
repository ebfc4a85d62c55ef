import { describe, expect, it } from 'vitest';
import { CommandSyntaxError, renderArgv, tokenize } from './command-line.ts';

const argv = (text: string) => tokenize(text).map((t) => t.value);

function syntaxError(text: string): CommandSyntaxError {
  try {
    tokenize(text);
  } catch (error) {
    if (error instanceof CommandSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('tokenize', () => {
  it('splits a tutorial command on white space', () => {
    expect(argv('ip link add vxlan0 type vxlan id 42 dstport 4789 group 239.1.1.1 dev enp0s8')).toEqual([
      'ip', 'link', 'add', 'vxlan0', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'group', '239.1.1.1', 'dev', 'enp0s8',
    ]);
  });

  it('joins the tutorials\' backslash-continued lines', () => {
    expect(argv('ip link add vxlan0 type vxlan \\\n    id 42 \\\n    dev enp0s8')).toEqual(['ip', 'link', 'add', 'vxlan0', 'type', 'vxlan', 'id', '42', 'dev', 'enp0s8']);
  });

  it('keeps quoted text, shell operators included, as one argument', () => {
    expect(argv(`tcpdump -i enp0s8 'port 4789 and udp[8:2] = 0x0800 & 0x0800'`)).toEqual(['tcpdump', '-i', 'enp0s8', 'port 4789 and udp[8:2] = 0x0800 & 0x0800']);
    expect(argv('ip link set dev "a b" up')).toEqual(['ip', 'link', 'set', 'dev', 'a b', 'up']);
    expect(argv('ip a"b"\'c\'')).toEqual(['ip', 'abc']);
  });

  it('records where each token starts', () => {
    expect(tokenize('ip  link').map((t) => t.start)).toEqual([0, 4]);
  });

  it.each([
    ['ip link; reboot', ';', 7],
    ['ip link && reboot', '&', 8],
    ['ip link | tee x', '|', 8],
    ['ip link > /etc/passwd', '>', 8],
    ['ip link < x', '<', 8],
    ['ip $(id)', '$', 3],
    ['ip `id`', '`', 3],
    ['ip link add $DEV', '$', 12],
    ['ip "$HOME"', '$', 4],
    ['ping 10.0.0.*', '*', 12],
    ['ip (link)', '(', 3],
  ])('refuses %j at the shell-only character', (text, char, index) => {
    const error = syntaxError(text);
    expect(error.message).toContain(`\`${char}\``);
    expect(error.message).toContain('without a shell');
    expect(error.index).toBe(index);
  });

  it('refuses comments, open quotes, empty commands and a trailing backslash', () => {
    expect(syntaxError('ip link # show').index).toBe(8);
    expect(syntaxError("ip 'link").message).toMatch(/unterminated single quote/);
    expect(syntaxError('ip "link').message).toMatch(/unterminated double quote/);
    expect(syntaxError('   ').message).toMatch(/empty/);
    expect(syntaxError('ip link \\').message).toMatch(/lone backslash/);
  });
});

describe('renderArgv', () => {
  it('quotes only what a shell would need quoted', () => {
    expect(renderArgv(['tcpdump', '-i', 'eth0', "port 4789 and udp[11:4] = 42 & 0x00FFFFFF"])).toBe(
      "tcpdump -i eth0 'port 4789 and udp[11:4] = 42 & 0x00FFFFFF'",
    );
    expect(renderArgv(["it's"])).toBe(`'it'\\''s'`);
  });
});
