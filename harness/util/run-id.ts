import { randomBytes } from 'node:crypto';

/** A short id that names everything one run creates, so parallel runs never collide. */
export function newRunId(): string {
  return `vx${randomBytes(4).toString('hex')}`;
}
