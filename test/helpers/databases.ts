import { afterAll } from 'vitest';
import { POSTGRES_AVAILABLE, type PostgresServer, startPostgres } from './postgres-server.ts';

/** A database an HTTP-level suite runs against, and the env that selects it. */
export interface DatabaseCase {
  name: 'sqlite' | 'postgres';
  /** Skipped only outside CI when the binaries are missing (startPostgres says so). */
  skip: boolean;
  /** Env for one gateway on a fresh database; `shared` reuses the previous database (two nodes). */
  env(opts?: { shared?: boolean }): Promise<Record<string, string>>;
}

/** Nodes sharing one Postgres must seal stored keys with the same master key. */
export const SHARED_SECRET_KEY = 'd'.repeat(64);

let server: Promise<PostgresServer | undefined> | undefined;
let lastUrl: string | undefined;

// One server per test file, started on first use and stopped with the file.
afterAll(async () => {
  const s = await server;
  server = undefined;
  await s?.stop();
});

export const DATABASES: DatabaseCase[] = [
  { name: 'sqlite', skip: false, env: async () => ({}) },
  {
    name: 'postgres',
    skip: !POSTGRES_AVAILABLE && !process.env['CI'],
    async env(opts) {
      server ??= startPostgres();
      const s = (await server)!;
      if (!opts?.shared || !lastUrl) lastUrl = await s.createDatabase();
      return { GATEHOUSE_DATABASE_URL: lastUrl, GATEHOUSE_SECRET_KEY: SHARED_SECRET_KEY };
    },
  },
];
