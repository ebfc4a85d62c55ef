// Backends by name; an unknown name is an error that lists the supported ones.
import { UsageError } from '../util/errors.ts';
import { NetnsBackend } from './netns/backend.ts';
import type { Backend } from './types.ts';

const BACKENDS: Record<string, () => Backend> = {
  netns: () => new NetnsBackend(),
};

export const BACKEND_NAMES = Object.keys(BACKENDS);

export function createBackend(name: string): Backend {
  const make = BACKENDS[name];
  if (!make) throw new UsageError(`backend "${name}" is not supported; supported backends are ${BACKEND_NAMES.join(', ')}`);
  return make();
}
