import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config, ConfigSources } from '../config/schema.ts';
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
  const gatehouse = await createGatehouse(loaded.config, { adminTokenSource: loaded.sources['admin_token'] });
  // Signal handlers go in before the banner: whoever reads "listening" may stop us at once.
  installShutdown(gatehouse);
  const address = await gatehouse.listen();
  printBanner(loaded.config, loaded.sources, gatehouse, `http://${address.address}:${address.port}`);
  return 0;
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
