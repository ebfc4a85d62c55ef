// Reads a file a user named, as text, refusing anything but a regular file of bounded size. A
// FIFO would block the read forever, /dev/zero never ends, a directory or socket cannot be read.
// The check is made on the opened descriptor (open non-blocking, then fstat), never by a stat
// before the open, which a rename in between could defeat.
import { constants, type Stats } from 'node:fs';
import { lstat, open, realpath, stat, type FileHandle } from 'node:fs/promises';

/** The most vxlab reads from one scenario or lab file; the largest shipped scenario is about 6 KB. */
export const MAX_INPUT_FILE_BYTES = 1024 * 1024;

/** The file cannot be read as text; the message says why, without the file's name. */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isDirectory()) return 'a directory';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'a special file';
}

function mebibytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${bytes} bytes`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MiB`;
}

/** `is a FIFO, not a regular file`, naming where a symbolic link led. */
async function notRegular(path: string, kind: string): Promise<UnreadableFileError> {
  const isLink = await lstat(path).then((info) => info.isSymbolicLink(), () => false);
  const target = isLink ? await realpath(path).catch(() => undefined) : undefined;
  return new UnreadableFileError(`is ${kind}${target ? ` (through a symbolic link to ${target})` : ''}, not a regular file`);
}

async function openWithoutBlocking(path: string): Promise<FileHandle> {
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
    return await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UnreadableFileError('does not exist');
    // open(2) refuses a UNIX socket with ENXIO; stat only names what it is.
    if (code === 'ENXIO') {
      const info = await stat(path).catch(() => undefined);
      if (info && !info.isFile()) throw await notRegular(path, kindOf(info));
    }
    throw new UnreadableFileError(`cannot be read (${code ?? (error as Error).message})`);
  }
}

/** The text of a regular file of at most `maxBytes` bytes, after following symbolic links. */
export async function readRegularFile(path: string, maxBytes = MAX_INPUT_FILE_BYTES): Promise<string> {
  const handle = await openWithoutBlocking(path);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw await notRegular(path, kindOf(info));
    const tooLarge = (size = '') => new UnreadableFileError(`is more than the ${mebibytes(maxBytes)} vxlab reads from a file${size}`);
    if (info.size > maxBytes) throw tooLarge(` (${info.size} bytes)`);
    // Read at most one byte past the limit: a file may grow after fstat, and /proc files say size 0.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge();
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    throw new UnreadableFileError(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    await handle.close();
  }
}
