import { parseArgs } from 'node:util';
import { apiClient, CLIENT_OPTIONS, CliError, runCli } from './api-client.ts';
import { printTable } from './table.ts';

const USAGE = `usage:
  gatehouse tokens create --name NAME --permission run|read|edit [--permission …] [--gateway ID …]
  gatehouse tokens list
  gatehouse tokens revoke ID

Options for every subcommand: --url URL (default http://127.0.0.1:8787), --admin-token TOKEN
(default GATEHOUSE_ADMIN_TOKEN, else {GATEHOUSE_DATA_DIR}/admin-token).`;

interface TokenResult {
  id: string;
  name: string;
  permissions: string[];
  gateways: string[] | null;
  preview: string;
  created_at: string;
  value?: string;
}

export function run(args: string[]): Promise<number> {
  return runCli(async () => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        permission: { type: 'string', multiple: true },
        gateway: { type: 'string', multiple: true },
        ...CLIENT_OPTIONS,
      },
    });
    const [sub, id] = positionals;
    if (values.help || !sub) {
      console.log(USAGE);
      return;
    }
    const api = apiClient({ url: values.url, adminToken: values['admin-token'] });
    if (sub === 'create') {
      if (!values.name || !values.permission?.length)
        throw new CliError(`create needs --name and at least one --permission\n\n${USAGE}`);
      const { json } = await api.call('POST', '/tokens', {
        name: values.name,
        permissions: values.permission,
        ...(values.gateway?.length ? { gateways: values.gateway } : {}),
      });
      const t = json.result as TokenResult;
      console.log(
        `Created token ${t.id} "${t.name}" (${t.permissions.join(', ')}; gateways: ${t.gateways?.join(', ') ?? 'all'})`,
      );
      console.log(`\n  ${t.value}\n\nStore it now: it is not shown again.`);
      return;
    }
    if (sub === 'list') {
      const { json } = await api.call('GET', '/tokens?per_page=100');
      const rows = (json.result as TokenResult[]).map((t) => [
        t.id,
        t.name,
        t.permissions.join(','),
        t.gateways?.join(',') ?? '*',
        t.preview,
        t.created_at,
      ]);
      printTable(['ID', 'NAME', 'PERMISSIONS', 'GATEWAYS', 'PREVIEW', 'CREATED'], rows, '(no tokens)');
      return;
    }
    if (sub === 'revoke') {
      if (!id) throw new CliError('revoke needs the token ID (see "gatehouse tokens list")');
      await api.call('DELETE', `/tokens/${encodeURIComponent(id)}`);
      console.log(`Revoked token ${id}`);
      return;
    }
    throw new CliError(`unknown subcommand "${sub}"\n\n${USAGE}`);
  });
}
