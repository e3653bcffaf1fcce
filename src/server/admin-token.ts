import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AdminToken {
  value: string;
  /** Where it came from, for the banner: never the value itself. */
  source: string;
  /** True only on the start that generated it: the one time it is printed. */
  generated: boolean;
}

/** The configured admin token, else the one in the data dir, else a new one stored with mode 0600. */
export function resolveAdminToken(
  configured: string | undefined,
  configuredSource: string,
  dataDir: string,
): AdminToken {
  if (configured) return { value: configured, source: configuredSource, generated: false };
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) {
    return { value: readFileSync(file, 'utf8').trim(), source: `file ${file}`, generated: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const value = `gha_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { value, source: `generated, stored in ${file}`, generated: true };
}
