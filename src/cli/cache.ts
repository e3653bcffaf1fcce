import { parseArgs } from 'node:util';
import { apiClient, CLIENT_OPTIONS, CliError, runCli } from './api-client.ts';

const USAGE = `usage:
  gatehouse cache purge --gateway ID                        every cached answer of the gateway
  gatehouse cache purge --gateway ID [--provider P] [--model M]   those of a provider and/or model
  gatehouse cache purge --gateway ID --key KEY              the one entry a log's cache_key names

Options: --url URL (default http://127.0.0.1:8787), --admin-token TOKEN
(default GATEHOUSE_ADMIN_TOKEN, else {GATEHOUSE_DATA_DIR}/admin-token).`;

/** `gatehouse cache purge`: the management API's `DELETE /gateways/{id}/cache`, from a terminal. */
export function run(args: string[]): Promise<number> {
  return runCli(async () => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        gateway: { type: 'string' },
        provider: { type: 'string' },
        model: { type: 'string' },
        key: { type: 'string' },
        ...CLIENT_OPTIONS,
      },
    });
    const [sub] = positionals;
    if (values.help || !sub) {
      console.log(USAGE);
      return;
    }
    if (sub !== 'purge') throw new CliError(`unknown subcommand "${sub}"\n\n${USAGE}`);
    // Without --gateway there is no way to tell "every gateway" from a forgotten option: refuse.
    if (!values.gateway) throw new CliError(`purge needs --gateway\n\n${USAGE}`);
    const query = new URLSearchParams();
    for (const name of ['provider', 'model', 'key'] as const) {
      const v = values[name];
      if (v !== undefined) query.set(name, v);
    }
    const api = apiClient({ url: values.url, adminToken: values['admin-token'] });
    const { json } = await api.call(
      'DELETE',
      `/gateways/${encodeURIComponent(values.gateway)}/cache${query.size > 0 ? `?${query}` : ''}`,
    );
    const { purged } = json.result as { purged: number };
    const what = values.key ? 'the entry' : query.size > 0 ? 'the matching entries' : 'every entry';
    console.log(
      `Purged ${purged} ${purged === 1 ? 'entry' : 'entries'} (${what} of gateway ${values.gateway})`,
    );
  });
}
