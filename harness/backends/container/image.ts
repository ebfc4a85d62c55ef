// Builds the node image locally from the host's own programs, so that no registry is needed.
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { treeFiles, type TreeFile } from '../node-tree.ts';
import { locatePrograms } from '../node-tree-host.ts';
import type { Engine } from './engine.ts';
import { DOCKERFILE, GROUP, NODE_PROGRAMS, PASSWD, imageTag } from './image-plan.ts';

/** The host files an image of these programs is made of, each read once. */
async function hostFiles(names: readonly string[]): Promise<{ file: TreeFile; content: Buffer }[]> {
  const programs = await locatePrograms(names, 'install iproute2, tcpdump, iputils-ping, procps, coreutils and mount');
  // The exec wrapper and `sh -c` in user images expect /bin/sh: the shell goes there.
  const shell = programs[names.indexOf('sh')];
  const files = treeFiles(programs.map((p) => (p === shell ? { ...p, target: '/bin/sh' } : p)));
  return Promise.all(files.map(async (file) => ({ file, content: await readFile(file.source) })));
}

async function writeContext(dir: string, files: { file: TreeFile; content: Buffer }[]): Promise<void> {
  const root = join(dir, 'rootfs');
  for (const { file, content } of files) {
    await mkdir(dirname(join(root, file.path)), { recursive: true });
    await writeFile(join(root, file.path), content, { mode: file.mode });
  }
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), PASSWD);
  await writeFile(join(root, 'etc/group'), GROUP);
  await mkdir(join(root, 'tmp'), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await mkdir(join(root, 'run'), { recursive: true });
  await mkdir(join(root, 'var'), { recursive: true });
  // `ip netns` keeps its namespaces in /var/run/netns.
  await symlink('../run', join(root, 'var/run'));
  await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
}

export interface NodeImage {
  name: string;
  built: boolean;
  buildMs: number;
  sizeBytes: number;
}

/** The node image for this host's programs: built on first use, found by its content tag after. */
export function ensureNodeImage(engine: Engine): Promise<NodeImage> {
  return ensureImageOf(engine, NODE_PROGRAMS);
}

/** An image of these host programs (and `sh`, which signals need), tagged by its content. */
export async function ensureImageOf(engine: Engine, programs: readonly string[]): Promise<NodeImage> {
  const started = performance.now();
  const files = await hostFiles(programs);
  const name = imageTag(files.map(({ file, content }) => ({ path: file.path, content })));
  const { ImageName, GenericContainer } = engine.testcontainers;
  let built = false;
  if (!(await engine.client.image.exists(ImageName.fromString(name)))) {
    const dir = await mkdtemp(join(tmpdir(), 'vxlab-image-'));
    try {
      await writeContext(dir, files);
      await GenericContainer.fromDockerfile(dir).build(name, { deleteOnExit: false });
      built = true;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const info = await engine.docker.getImage(name).inspect();
  return { name, built, buildMs: performance.now() - started, sizeBytes: info.Size };
}
