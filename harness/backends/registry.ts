// Backends by name; an unknown name is an error that lists the supported ones.
import { UsageError } from '../util/errors.ts';
import { ContainerBackend, type ContainerBackendOptions } from './container/backend.ts';
import { NetnsBackend } from './netns/backend.ts';
import { SshBackend, type SshBackendOptions } from './ssh/backend.ts';
import type { Backend } from './types.ts';

export type BackendOptions = ContainerBackendOptions & SshBackendOptions;

const BACKENDS: Record<string, (options: BackendOptions) => Backend> = {
  netns: () => new NetnsBackend(),
  container: (options) => new ContainerBackend(options),
  ssh: (options) => new SshBackend(options),
};

export const BACKEND_NAMES = Object.keys(BACKENDS);

export function createBackend(name: string, options: BackendOptions = {}): Backend {
  const make = BACKENDS[name];
  if (!make) throw new UsageError(`backend "${name}" is not supported; supported backends are ${BACKEND_NAMES.join(', ')}`);
  return make(options);
}
