// The node image, planned from the host's own programs: each program with the shared libraries
// `ldd` names, a shell and sleep, and the two users tcpdump needs. Pure.
import { createHash } from 'node:crypto';
import { IMAGE_LABEL } from './labels.ts';

/**
 * Programs a node runs: the scenario allowlist, plus a shell (signals, PIDs), sleep (the idle
 * main process) and mount (writable network sysctls).
 */
export const NODE_PROGRAMS = ['ip', 'bridge', 'ping', 'tcpdump', 'sysctl', 'tc', 'sh', 'sleep', 'mount'] as const;

export const IMAGE_REPOSITORY = 'vxlab-node';

/** The absolute paths of the libraries and the loader in `ldd` output (the vDSO has no file). */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split('\n')) {
    const match = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (match) paths.push(match[1]!);
  }
  return paths;
}

export interface ImageFile {
  /** Where it goes in the image. */
  path: string;
  /** Where its bytes come from on the host. */
  source: string;
  mode: number;
}

export const DOCKERFILE = [
  'FROM scratch',
  'COPY rootfs/ /',
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  `LABEL ${IMAGE_LABEL}=node`,
  'CMD ["sleep", "infinity"]',
  '',
].join('\n');

/** tcpdump drops to its own user after opening the capture; root runs everything else. */
export const PASSWD = 'root:x:0:0:root:/root:/bin/sh\ntcpdump:x:100:101:tcpdump:/nonexistent:/usr/sbin/nologin\n';
export const GROUP = 'root:x:0:\ntcpdump:x:101:\n';

/** Every file of the image: programs at the path PATH found them, libraries at the path ldd gave. */
export function imageFiles(programs: { path: string; ldd: string }[]): ImageFile[] {
  const files = new Map<string, ImageFile>();
  for (const program of programs) {
    files.set(program.path, { path: program.path, source: program.path, mode: 0o755 });
    for (const library of parseLdd(program.ldd)) files.set(library, { path: library, source: library, mode: 0o755 });
  }
  return [...files.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** A tag that changes whenever any byte of the image would: a host upgrade gets a new image. */
export function imageTag(files: { path: string; content: Buffer }[]): string {
  const hash = createHash('sha256').update(DOCKERFILE).update(PASSWD).update(GROUP);
  for (const f of files) hash.update(`${f.path}\0${f.content.length}\0`).update(f.content);
  return `${IMAGE_REPOSITORY}:${hash.digest('hex').slice(0, 12)}`;
}
