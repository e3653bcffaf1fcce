import { type Kysely, sql } from 'kysely';
import type { Database } from './tables.ts';

export type Dialect = 'sqlite' | 'postgres';

interface Migration {
  version: number;
  name: string;
  up(db: Kysely<Database>, dialect: Dialect): Promise<void>;
}

/**
 * Versioned schema changes, applied in order on start. Append only: a shipped migration is never
 * edited, a change is a new entry. Written with Kysely's schema builder so one list serves
 * SQLite and Postgres; the few types that differ are chosen by dialect.
 */
const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial',
    async up(db, dialect) {
      await db.schema
        .createTable('gateways')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('gateways_pk', ['account_id', 'id'])
        .execute();
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value_hash', 'text', (c) => c.notNull().unique())
        .addColumn('preview', 'text', (c) => c.notNull())
        .addColumn('permissions', 'text', (c) => c.notNull())
        .addColumn('gateways', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('custom_providers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('slug', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('base_url', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('custom_providers_slug', ['account_id', 'slug'])
        .execute();
      await db.schema
        .createTable('logs')
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('gateway_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text')
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer', (c) => c.notNull())
        .addColumn('success', 'integer', (c) => c.notNull())
        .addColumn('cached', 'integer', (c) => c.notNull())
        .addColumn('duration', 'integer', (c) => c.notNull())
        .addColumn('tokens_in', 'integer')
        .addColumn('tokens_out', 'integer')
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text')
        .addColumn('step', 'integer')
        .addColumn('request_type', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema
        .createIndex('logs_gateway_created')
        .on('logs')
        .columns(['account_id', 'gateway_id', 'created_at'])
        .execute();
    },
  },
  {
    version: 2,
    name: 'cache entries',
    async up(db, dialect) {
      await db.schema
        .createTable('cache_entries')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('gateway_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('value', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addPrimaryKeyConstraint('cache_entries_pk', ['account_id', 'gateway_id', 'key'])
        .execute();
      await db.schema
        .createIndex('cache_entries_scope')
        .on('cache_entries')
        .columns(['account_id', 'gateway_id', 'provider', 'model'])
        .execute();
      await db.schema.createIndex('cache_entries_expiry').on('cache_entries').column('expires_at').execute();
    },
  },
  {
    version: 3,
    name: 'log attempts',
    async up(db) {
      await db.schema
        .alterTable('logs')
        .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
    },
  },
  {
    version: 4,
    name: 'provider keys',
    async up(db) {
      await db.schema
        .createTable('provider_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('gateway_id', 'text', (c) => c.notNull())
        .addColumn('provider_slug', 'text', (c) => c.notNull())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('default_config', 'integer', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('secret_preview', 'text', (c) => c.notNull())
        .addColumn('rate_limit', 'integer')
        .addColumn('rate_limit_period', 'integer')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('provider_keys_alias', ['account_id', 'gateway_id', 'provider_slug', 'alias'])
        .execute();
    },
  },
  {
    version: 5,
    name: 'log costs',
    async up(db, dialect) {
      await db.schema
        .alterTable('logs')
        .addColumn('cost', dialect === 'postgres' ? 'double precision' : 'real')
        .execute();
      await db.schema
        .alterTable('logs')
        .addColumn('custom_cost', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  {
    version: 6,
    name: 'full log entries and payloads',
    async up(db, dialect) {
      const columns: Array<[string, 'integer' | 'text', boolean]> = [
        ['feedback', 'integer', false],
        ['score', 'integer', false],
        ['request_content_type', 'text', false],
        ['response_content_type', 'text', false],
        ['request_size', 'integer', false],
        ['response_size', 'integer', false],
        ['user_agent', 'text', false],
        ['authentication', 'integer', true],
        ['model_type', 'text', false],
        ['compat', 'integer', true],
        ['request_head', 'text', false],
        ['response_head', 'text', false],
      ];
      for (const [name, type, zeroDefault] of columns) {
        await db.schema
          .alterTable('logs')
          .addColumn(name, type, (c) => (zeroDefault ? c.notNull().defaultTo(0) : c))
          .execute();
      }
      for (const column of ['provider', 'model', 'event_id']) {
        await db.schema
          .createIndex(`logs_gateway_${column}`)
          .on('logs')
          .columns(['account_id', 'gateway_id', column, 'created_at'])
          .execute();
      }
      const blob = dialect === 'postgres' ? 'bytea' : 'blob';
      await db.schema
        .createTable('log_payloads')
        .addColumn('log_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('gateway_id', 'text', (c) => c.notNull())
        .addColumn('request', blob)
        .addColumn('response', blob)
        .addColumn('request_truncated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('response_truncated', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  {
    version: 7,
    name: 'cache savings',
    async up(db, dialect) {
      await db.schema
        .alterTable('logs')
        .addColumn('saved_cost', dialect === 'postgres' ? 'double precision' : 'real')
        .execute();
    },
  },
  {
    version: 8,
    name: 'log upstream duration',
    async up(db) {
      await db.schema.alterTable('logs').addColumn('upstream_duration', 'integer').execute();
    },
  },
  {
    version: 9,
    name: 'log indexes carry success',
    // "Errors of provider X" is the commonest pair of filters: with `success` in the index, counting
    // the matches (the list's total) reads the index alone instead of one table row per match.
    // `seq` goes before it so pages still come in (created_at, seq) order straight from the index.
    async up(db) {
      const indexes: Array<[string, string[]]> = [
        ['logs_gateway_created', ['account_id', 'gateway_id', 'created_at', 'seq', 'success']],
        ['logs_gateway_provider', ['account_id', 'gateway_id', 'provider', 'created_at', 'seq', 'success']],
        ['logs_gateway_model', ['account_id', 'gateway_id', 'model', 'created_at', 'seq', 'success']],
      ];
      for (const [name, columns] of indexes) {
        await db.schema.dropIndex(name).execute();
        await db.schema.createIndex(name).on('logs').columns(columns).execute();
      }
    },
  },
  {
    version: 10,
    name: 'cache entries in files',
    // A large entry's bytes go to a file of their own (see cache/sqlite-store.ts); the row names it.
    async up(db) {
      await db.schema.alterTable('cache_entries').addColumn('file', 'text').execute();
    },
  },
  {
    version: 11,
    name: 'log time to first byte',
    async up(db) {
      await db.schema.alterTable('logs').addColumn('upstream_first_byte', 'integer').execute();
    },
  },
  {
    version: 12,
    name: 'log cache key',
    // No index: the `cache_key` filter reads rows in time order, as `cached` does; an index would
    // cost every cached request's row one more insert.
    async up(db) {
      await db.schema.alterTable('logs').addColumn('cache_key', 'text').execute();
    },
  },
];

export async function migrate(db: Kysely<Database>, dialect: Dialect = 'sqlite'): Promise<number[]> {
  if (dialect === 'sqlite') return migrateOn(db, dialect);
  // Nodes starting together against one Postgres take turns: the first migrates, the others find it done.
  return db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      return await migrateOn(conn, dialect);
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
}

/** An arbitrary constant naming Gatehouse's migration lock among the database's advisory locks. */
const MIGRATION_LOCK = 4_711_2026;

async function migrateOn(db: Kysely<Database>, dialect: Dialect): Promise<number[]> {
  await db.schema
    .createTable('gatehouse_migrations')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();
  const done = new Set(
    (await db.selectFrom('gatehouse_migrations').select('version').execute()).map((r) => Number(r.version)),
  );
  const known = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  const newest = Math.max(0, ...done);
  if (newest > known) {
    // A newer Gatehouse migrated this database (a downgrade, or an old node restarting after an
    // upgrade): this code would write rows in a shape the schema no longer has.
    throw new Error(
      `its schema is at version ${newest}, set by a newer Gatehouse; this one knows versions up to ${known}. Run the newer Gatehouse, or point this one at another database`,
    );
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    await db.transaction().execute(async (trx) => {
      await m.up(trx, dialect);
      await trx
        .insertInto('gatehouse_migrations')
        .values({ version: m.version, name: m.name, applied_at: Date.now() })
        .execute();
    });
    applied.push(m.version);
  }
  return applied;
}
