// Backends by name; an unknown name is an error that lists the supported ones.
// Each backend's module is imported only when asked for: the container backend pulls in
// testcontainers, which a netns run never needs (and which costs start-up time).
import { UsageError } from '../util/errors.ts';
import type { ContainerBackendOptions } from './container/backend.ts';
import type { SshBackendOptions } from './ssh/backend.ts';
import type { Backend } from './types.ts';

export type BackendOptions = ContainerBackendOptions & SshBackendOptions;

const BACKENDS: Record<string, (options: BackendOptions) => Promise<Backend>> = {
  netns: async () => new (await import('./netns/backend.ts')).NetnsBackend(),
  container: async (options) => new (await import('./container/backend.ts')).ContainerBackend(options),
  ssh: async (options) => new (await import('./ssh/backend.ts')).SshBackend(options),
};

export const BACKEND_NAMES = Object.keys(BACKENDS);

export async function createBackend(name: string, options: BackendOptions = {}): Promise<Backend> {
  const make = BACKENDS[name];
  if (!make) throw new UsageError(`backend "${name}" is not supported; supported backends are ${BACKEND_NAMES.join(', ')}`);
  return make(options);
}
