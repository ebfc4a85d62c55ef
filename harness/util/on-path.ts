// Whether a program can be spawned by name: a lookup in PATH, not a spawn (start-up time).
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';

/** Is `program` an executable file in a PATH directory? */
export async function onPath(program: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    if (await access(join(dir, program), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}
