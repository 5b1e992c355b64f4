import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { UnreadableHistory, type HistoryFiles } from '../../history/ports.ts';

/**
 * History files on this machine, for the local stack: a path the operator names, read by the stack's own process
 * (which owns the local warehouse). Only an absolute path is taken, so what is read never depends on where the stack
 * was started.
 */
export function createLocalHistoryFiles(): HistoryFiles {
  const checked = (path: string) => {
    if (!isAbsolute(path)) throw new UnreadableHistory(`a local history file is named by its absolute path, not ${path.slice(0, 200)}`);
    return path;
  };
  return {
    async fingerprint(path) {
      const info = await stat(checked(path)).catch(() => null);
      if (!info?.isFile()) throw new UnreadableHistory(`${path.slice(0, 200)} is no file this machine can read`);
      return `size=${info.size} mtime=${info.mtimeMs} inode=${info.ino}`;
    },
    read: (path) => createReadStream(checked(path), { encoding: 'utf8', highWaterMark: 1 << 20 }),
    within: (folder, name) => join(checked(folder), name),
  };
}
