import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A file no entry names is removed at start once it is this old (younger, its row may be coming). */
const ORPHAN_AGE_MS = 60_000;
const SUFFIX = '.entry';

/**
 * The directory where the SQLite store keeps large entries, a file each, written and read from
 * libuv's thread pool rather than the request thread.
 */
export class EntryFiles {
  readonly #dir: string;
  #made: Promise<unknown> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** A new file's name for the key: its own, so that two stores of one key never share a file. */
  name(key: string): string {
    return `${key.slice(0, 16)}-${randomUUID()}${SUFFIX}`;
  }

  /** Writes the file from the two parts, without joining them first (a large body is not copied). */
  async write(name: string, head: Buffer, body: Buffer): Promise<void> {
    try {
      this.#made ??= mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await this.#made;
      const file = await open(join(this.#dir, name), 'w', 0o600);
      try {
        const { bytesWritten } = await file.writev([head, body]);
        if (bytesWritten !== head.length + body.length)
          throw new Error(`wrote ${bytesWritten} of ${head.length + body.length} bytes`);
      } finally {
        await file.close();
      }
    } catch (err) {
      this.drop(name);
      // Made again by the next write, should the directory have been removed.
      this.#made = undefined;
      throw err;
    }
  }

  read(name: string): Promise<Buffer> {
    return readFile(join(this.#dir, name));
  }

  /** Removes the files, in the background: one already gone is fine. */
  drop(...names: unknown[]): void {
    for (const name of names) {
      if (typeof name === 'string') unlink(join(this.#dir, name)).catch(() => undefined);
    }
  }

  /**
   * Removes the files `named` does not name: a crash between writing a file and its row, or
   * between deleting a row and its file, leaves one.
   */
  async removeOrphans(named: () => Set<string>): Promise<void> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    if (names.length === 0) return;
    const keep = named();
    for (const name of names) {
      if (!name.endsWith(SUFFIX) || keep.has(name)) continue;
      const path = join(this.#dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > ORPHAN_AGE_MS) await unlink(path).catch(() => undefined);
    }
  }
}
