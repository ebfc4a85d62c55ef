// Small file-system questions that several modules ask.
import { access } from 'node:fs/promises';

export function pathExists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
