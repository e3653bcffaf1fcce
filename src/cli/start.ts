import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config, ConfigSources } from '../config/schema.ts';
import { DatabaseOpenError } from '../db/open.ts';
import { createGatehouse, type Gatehouse } from '../server/app.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log('usage: gatehouse start [--config PATH]\n\nSettings: see "Configuration" in the README.');
    return 0;
  }
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(process.env, process.cwd(), values.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`gatehouse: configuration error: ${err.message}`);
      return 1;
    }
    throw err;
  }
  let gatehouse: Gatehouse;
  try {
    gatehouse = await createGatehouse(loaded.config, { adminTokenSource: loaded.sources['admin_token'] });
  } catch (err) {
    return startFailed(err, loaded.config);
  }
  // Signal handlers go in before the banner: whoever reads "listening" may stop us at once.
  installShutdown(gatehouse);
  let address: AddressInfo;
  try {
    address = await gatehouse.listen();
  } catch (err) {
    // The database, the log writer's thread and the rest are open: close them, or the process stays.
    await gatehouse.close().catch(() => undefined);
    return startFailed(err, loaded.config);
  }
  printBanner(loaded.config, loaded.sources, gatehouse, `http://${address.address}:${address.port}`);
  return 0;
}

/**
 * One line on stderr that says what stopped the start and what to change. A failure we foresee (a
 * setting, a port, the database) needs no stack trace; anything else keeps its stack for the report.
 */
function startFailed(err: unknown, config: Config): number {
  const e = err as NodeJS.ErrnoException;
  const where = `${config.host}:${config.port}`;
  const reason =
    e.syscall === 'listen' && e.code === 'EADDRINUSE'
      ? `${where} is already in use by another process; set GATEHOUSE_PORT (or "port") to a free port`
      : e.syscall === 'listen' && e.code === 'EACCES'
        ? `not allowed to listen on ${where} (ports below 1024 need privileges); set GATEHOUSE_PORT`
        : e.syscall === 'listen' && e.code === 'EADDRNOTAVAIL'
          ? `${config.host} is not an address of this machine; set GATEHOUSE_HOST (or "host")`
          : e.message;
  const foreseen =
    err instanceof ConfigError || err instanceof DatabaseOpenError || typeof e.code === 'string';
  console.error(`gatehouse: could not start: ${reason}`);
  if (!foreseen) console.error(e.stack);
  return 1;
}

function printBanner(config: Config, sources: ConfigSources, g: Gatehouse, url: string): void {
  const row = (k: string, v: string | number, src?: string) =>
    `  ${k.padEnd(14)} ${String(v)}${src ? `   (${src})` : ''}`;
  const lines = [
    `Gatehouse listening on ${url}`,
    row('host', config.host, sources['host']),
    row('port', config.port, sources['port']),
    row('data dir', config.dataDir, sources['data_dir']),
    row(
      'database',
      g.app.database.dialect === 'postgres'
        ? `${g.app.database.where} (Postgres)`
        : `${g.app.database.where} (SQLite)`,
      sources['database_url'],
    ),
    row('account', config.accountId, sources['account_id']),
    row('admin token', g.adminToken.generated ? 'generated (shown below, once)' : 'set', g.adminToken.source),
  ];
  for (const [slug, base] of Object.entries(config.providerBaseUrls)) {
    lines.push(row(`${slug}`, base, sources[`providers.${slug}.base_url`]));
  }
  lines.push(
    '',
    `  Dashboard: ${url}/  (sign in with the admin token)`,
    `  Try: curl ${url}/v1/${config.accountId}/default/openai/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" ...`,
  );
  if (g.adminToken.generated) {
    lines.push(
      '',
      `  Admin token (printed this once; it is stored in ${config.dataDir}/admin-token):`,
      `    ${g.adminToken.value}`,
    );
  }
  console.log(lines.join('\n'));
}

function installShutdown(g: Gatehouse): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Gatehouse: ${signal} received; finishing in-flight requests and flushing logs`);
    g.close().then(
      () => {
        console.log('Gatehouse: stopped');
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`Gatehouse: error while stopping: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
