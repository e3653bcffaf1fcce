import { parseArgs } from 'node:util';
import { apiClient, CLIENT_OPTIONS, CliError, runCli } from './api-client.ts';
import { printTable } from './table.ts';

const USAGE = `usage:
  gatehouse providers add --slug SLUG --name NAME --base-url URL [--enable]
  gatehouse providers list

Registers a custom provider: requests to /v1/{account}/{gateway}/custom-{slug}/{path} go to
{base-url}/{path}. Base URLs are https; plain http only for hosts listed in
custom_providers.allow_http_hosts (local model servers).

Options for every subcommand: --url URL (default http://127.0.0.1:8787), --admin-token TOKEN
(default GATEHOUSE_ADMIN_TOKEN, else {GATEHOUSE_DATA_DIR}/admin-token).`;

interface ProviderResult {
  id: string;
  slug: string;
  name: string;
  base_url: string;
  enable: boolean;
}

export function run(args: string[]): Promise<number> {
  return runCli(async () => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        slug: { type: 'string' },
        name: { type: 'string' },
        'base-url': { type: 'string' },
        enable: { type: 'boolean' },
        ...CLIENT_OPTIONS,
      },
    });
    const [sub] = positionals;
    if (values.help || !sub) {
      console.log(USAGE);
      return;
    }
    const api = apiClient({ url: values.url, adminToken: values['admin-token'] });
    if (sub === 'add') {
      if (!values.slug || !values.name || !values['base-url'])
        throw new CliError(`add needs --slug, --name and --base-url\n\n${USAGE}`);
      const { json } = await api.call('POST', '/custom-providers', {
        slug: values.slug,
        name: values.name,
        base_url: values['base-url'],
        enable: values.enable ?? false,
      });
      const p = json.result as ProviderResult;
      console.log(`Added custom provider ${p.name} as custom-${p.slug} → ${p.base_url} (${p.id})`);
      return;
    }
    if (sub === 'list') {
      const { json } = await api.call('GET', '/custom-providers?per_page=100');
      const rows = (json.result as ProviderResult[]).map((p) => [
        `custom-${p.slug}`,
        p.name,
        p.base_url,
        p.enable ? 'yes' : '',
        p.id,
      ]);
      printTable(['PROVIDER', 'NAME', 'BASE URL', 'ENABLED', 'ID'], rows, '(no custom providers)');
      return;
    }
    throw new CliError(`unknown subcommand "${sub}"\n\n${USAGE}`);
  });
}
