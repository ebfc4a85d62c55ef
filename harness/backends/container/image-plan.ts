// The node image, planned from the host's own programs: the node tree's files (node-tree.ts), a
// shell and sleep, and the two users tcpdump needs. Pure.
import { createHash } from 'node:crypto';
import { ALLOWED_PROGRAMS } from '../../policy/policy.ts';
import { IMAGE_LABEL } from './labels.ts';

/**
 * Programs a node runs: the scenario allowlist, plus a shell (signals, PIDs), sleep (the idle
 * main process), mount (writable network sysctls) and setpriv (commands without CAP_SYS_ADMIN).
 */
export const NODE_PROGRAMS = [...ALLOWED_PROGRAMS, 'sh', 'sleep', 'mount', 'setpriv'] as const;

export const IMAGE_REPOSITORY = 'vxlab-node';

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

/** A tag that changes whenever any byte of the image would: a host upgrade gets a new image. */
export function imageTag(files: { path: string; content: Buffer }[]): string {
  const hash = createHash('sha256').update(DOCKERFILE).update(PASSWD).update(GROUP);
  for (const f of files) hash.update(`${f.path}\0${f.content.length}\0`).update(f.content);
  return `${IMAGE_REPOSITORY}:${hash.digest('hex').slice(0, 12)}`;
}
