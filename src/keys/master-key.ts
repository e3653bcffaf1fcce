import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/load.ts';

export interface MasterKey {
  key: Buffer;
  source: 'env' | 'file' | 'generated';
}

const ACCEPTED = '32 bytes as 64 hexadecimal characters or 44 base64 characters';

function decode(value: string, where: string): Buffer {
  const v = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(v)
    ? Buffer.from(v, 'hex')
    : /^[A-Za-z0-9+/]{43}=$/.test(v)
      ? Buffer.from(v, 'base64')
      : undefined;
  if (key?.length !== 32) throw new ConfigError(`${where} must be ${ACCEPTED}`);
  return key;
}

/**
 * The key that seals stored provider keys: `GATEHOUSE_SECRET_KEY`, else `{dataDir}/secret-key`,
 * created on first start with mode 0600. A key file others can read is refused, as ssh refuses
 * a private key that is. Losing this key makes the stored provider keys unreadable.
 */
export function loadMasterKey(opts: { env: string | undefined; dataDir: string }): MasterKey {
  if (opts.env !== undefined) return { key: decode(opts.env, 'GATEHOUSE_SECRET_KEY'), source: 'env' };
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const file = join(opts.dataDir, 'secret-key');
  let source: MasterKey['source'] = 'file';
  try {
    // `wx`: two processes starting at once never overwrite each other's key; the loser reads it.
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    source = 'generated';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new ConfigError(
      `${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`,
    );
  }
  return { key: decode(readFileSync(file, 'utf8'), file), source };
}
