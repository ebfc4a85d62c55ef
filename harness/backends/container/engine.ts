// The one door to the container engine: testcontainers, loaded only when the container backend
// is used (so the netns backend never imports it), with Ryuk off: vxlab removes what it creates.
import { createRequire } from 'node:module';
import type { ContainerRuntimeClient } from 'testcontainers';
import { PrerequisiteError, errorMessage } from '../../util/errors.ts';

export type Testcontainers = typeof import('testcontainers');
export type Dockerode = ContainerRuntimeClient['container']['dockerode'];
export type DockerContainer = ReturnType<Dockerode['getContainer']>;

export interface Engine {
  testcontainers: Testcontainers;
  client: ContainerRuntimeClient;
  docker: Dockerode;
}

let engine: Promise<Engine> | undefined;

async function connect(): Promise<Engine> {
  // Ryuk is an image to pull, which an air-gapped machine cannot; vxlab cleans up by its own labels.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  // The engine's host address is only for mapped ports, which vxlab never uses; without this,
  // testcontainers inside a container looks for the "bridge" network or pulls alpine to find it.
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
  // required, not imported: testcontainers is CommonJS, and the compiled CLI runs as a vm.Script,
  // where import() would need an experimental loader option that V8's code cache drops.
  const require = createRequire(import.meta.url);
  // Its engine client alone (~100 ms to load) serves `clean` and the prerequisites; the whole
  // package (containers, compose, wait strategies: ~200 ms) loads when a lab needs it.
  const runtime = require('testcontainers/build/container-runtime') as Pick<Testcontainers, 'getContainerRuntimeClient'>;
  let client: ContainerRuntimeClient;
  try {
    client = await runtime.getContainerRuntimeClient();
  } catch (error) {
    throw new PrerequisiteError(
      `no container engine answers (${errorMessage(error).split('\n')[0]})`,
      'start one (apt-get install -y docker.io && dockerd &) or point DOCKER_HOST at it',
    );
  }
  return {
    get testcontainers() {
      return require('testcontainers') as Testcontainers;
    },
    client,
    docker: client.container.dockerode,
  };
}

/** The engine, connected once per process; a PrerequisiteError when none answers. */
export function getEngine(): Promise<Engine> {
  engine ??= connect();
  engine.catch(() => (engine = undefined));
  return engine;
}
