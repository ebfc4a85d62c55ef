// The ssh_config text vxlab hands to `ssh -F`, read through an allowlist first. ssh runs what a
// config says (Match exec, ProxyCommand, LocalCommand, KnownHostsCommand, PKCS11Provider) as the
// harness's user, root here: a hosts file names where to log in, never what runs on this machine.
// Pure; the checked text (not the file, which could change) is what ssh reads.
import { posix } from 'node:path';
import { ValidationError, type ValidationIssue } from '../../util/errors.ts';

/** Where the text comes from: a user's hosts file, or vagrant's own `vagrant ssh-config`. */
export type SshConfigOrigin = 'hosts-file' | 'vagrant';

type ValueRule = (value: string, origin: SshConfigOrigin) => string | undefined;

const anyValue: ValueRule = () => undefined;
const yesNo: ValueRule = (v) => (/^(yes|no)$/i.test(v) ? undefined : 'expects yes or no');
// Vagrant's VMs get new host keys on every `vagrant up`, so vagrant turns checking off; a hosts file may not.
// Only `yes` from a hosts file: with accept-new, ssh (root here) writes new keys to whatever file
// UserKnownHostsFile names, which would let a hosts file create or append to any file.
const hostKeyChecking: ValueRule = (v, origin) =>
  /^yes$/i.test(v) || (origin === 'vagrant' && /^no$/i.test(v)) ? undefined : 'may only be yes (host keys are checked, and ssh writes no known_hosts file for vxlab)';
// Each path as ssh would reach it: `/dev//null` and `/dev/./null` are /dev/null too.
const knownHosts: ValueRule = (v, origin) => (origin === 'vagrant' || !v.split(/\s+/).some((p) => posix.normalize(p) === '/dev/null') ? undefined : 'may not be /dev/null (host keys are checked)');
const noCommand: ValueRule = (v) => (/[`$]/.test(v) ? 'may not hold ` or $' : undefined);

/** Keywords (lower case) a config may use, each with its value's rule. Everything else is refused. */
const ALLOWED: Record<string, ValueRule> = {
  host: noCommand,
  hostname: noCommand,
  user: noCommand,
  port: (v) => (/^\d{1,5}$/.test(v) ? undefined : 'expects a port number'),
  identityfile: noCommand,
  identitiesonly: yesNo,
  userknownhostsfile: knownHosts,
  // The system-wide list may be left out (/dev/null): the user's own list still applies.
  globalknownhostsfile: noCommand,
  stricthostkeychecking: hostKeyChecking,
  // Harmless: how much ssh says, and which key types it offers (vagrant's boxes still use ssh-rsa).
  loglevel: anyValue,
  passwordauthentication: yesNo,
  pubkeyacceptedkeytypes: anyValue,
  pubkeyacceptedalgorithms: anyValue,
  hostkeyalgorithms: anyValue,
};

/** Why a keyword outside the allowlist is refused, for the ones that matter most. */
function refusal(keyword: string): string {
  if (keyword === 'match') return 'is refused: `Match exec` runs a command on this machine';
  if (keyword === 'include') return 'is refused: it reads another file vxlab has not checked';
  if (keyword.endsWith('command')) return 'is refused: it runs a command on this machine';
  if (keyword === 'proxyjump') return 'is refused: it connects through another host with its own config';
  if (keyword.endsWith('provider')) return 'is refused: it loads a library into ssh';
  if (keyword.includes('forward') || keyword.startsWith('tunnel')) return 'is refused: it forwards connections between this machine and the host';
  return GENERIC_REFUSAL;
}

const GENERIC_REFUSAL = 'is not a keyword vxlab accepts';

const ALLOWED_NAMES = 'Host, HostName, User, Port, IdentityFile, IdentitiesOnly, UserKnownHostsFile, GlobalKnownHostsFile, StrictHostKeyChecking yes, LogLevel, PasswordAuthentication, PubkeyAcceptedKeyTypes, PubkeyAcceptedAlgorithms, HostKeyAlgorithms';

/** Problems in an ssh_config's text, each at its line and column (1-based). */
export function sshConfigProblems(text: string, file: string, origin: SshConfigOrigin): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [n, raw] of text.split('\n').entries()) {
    const at = (col: number, message: string) => issues.push({ file, line: n + 1, col, path: '', message });
    const line = raw.replace(/\r$/, '');
    const start = line.search(/\S/);
    if (start < 0 || line[start] === '#') continue;
    // ssh's own reading: a keyword, then white space and/or one `=`, then the arguments.
    const m = /^([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(\S.*)$/.exec(line.slice(start));
    if (!m) {
      at(start + 1, `is not a \`Keyword value\` line of an ssh_config; it may use only ${ALLOWED_NAMES}`);
      continue;
    }
    const keyword = m[1]!.toLowerCase();
    const rule = Object.hasOwn(ALLOWED, keyword) ? ALLOWED[keyword] : undefined;
    if (!rule) {
      // Only a keyword ssh knows is named back: the file may be any file root can read (a secret).
      const why = refusal(keyword);
      at(start + 1, `${why === GENERIC_REFUSAL ? 'this line\'s first word' : `\`${m[1]}\``} ${why}; an ssh_config for vxlab may use only ${ALLOWED_NAMES}`);
      continue;
    }
    const value = m[2]!.trim().replace(/^"(.*)"$/, '$1');
    const problem = rule(value, origin);
    // The keyword (an allowed one) is named, never the value: it may come from a file that is a secret.
    if (problem) at(start + 1 + line.slice(start).indexOf(m[2]!), `the value of \`${m[1]}\` ${problem}`);
  }
  return issues;
}

/** The text itself when every line passes; a ValidationError naming each line at fault otherwise. */
export function checkedSshConfig(text: string, file: string, origin: SshConfigOrigin): string {
  const issues = sshConfigProblems(text, file, origin);
  if (issues.length > 0) throw new ValidationError(issues);
  return text;
}

/** Always on the command line (which wins over any config): nothing is forwarded, nothing runs locally. */
export const SSH_CONTAINMENT_OPTIONS: readonly string[] = [
  '-o', 'ClearAllForwardings=yes', '-o', 'ForwardAgent=no', '-o', 'ForwardX11=no', '-o', 'PermitLocalCommand=no', '-o', 'Tunnel=no',
  // Nor does ssh rewrite a known_hosts file when a host offers new keys.
  '-o', 'UpdateHostKeys=no',
];
