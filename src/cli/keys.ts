import { parseArgs } from 'node:util';
import { apiClient, CLIENT_OPTIONS, CliError, runCli } from './api-client.ts';
import { printTable } from './table.ts';

const USAGE = `usage:
  gatehouse keys add --gateway ID --provider SLUG [--alias NAME] [--default] [--secret VALUE]
  gatehouse keys list --gateway ID
  gatehouse keys rotate --gateway ID KEY_ID [--secret VALUE]
  gatehouse keys rm --gateway ID KEY_ID

Stores provider keys in a gateway (BYOK); requests without their own key use them. Without
--secret the key is read from standard input, which keeps it out of your shell history:
  printf %s "$OPENAI_API_KEY" | gatehouse keys add --gateway prod --provider openai

Options for every subcommand: --url URL (default http://127.0.0.1:8787), --admin-token TOKEN
(default GATEHOUSE_ADMIN_TOKEN, else {GATEHOUSE_DATA_DIR}/admin-token).`;

interface KeyResult {
  id: string;
  alias: string;
  default_config: boolean;
  provider_slug: string;
  secret_preview: string;
  modified_at: string;
}

async function readSecret(flag: string | undefined): Promise<string> {
  if (flag !== undefined) return flag;
  if (process.stdin.isTTY) throw new CliError('give the key with --secret, or pipe it on standard input');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const value = Buffer.concat(chunks).toString('utf8').trim();
  if (!value) throw new CliError('standard input was empty: no key to store');
  return value;
}

export function run(args: string[]): Promise<number> {
  return runCli(async () => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        gateway: { type: 'string' },
        provider: { type: 'string' },
        alias: { type: 'string' },
        default: { type: 'boolean' },
        secret: { type: 'string' },
        ...CLIENT_OPTIONS,
      },
    });
    const [sub, id] = positionals;
    if (values.help || !sub) {
      console.log(USAGE);
      return;
    }
    if (!values.gateway) throw new CliError(`--gateway is required\n\n${USAGE}`);
    const base = `/gateways/${encodeURIComponent(values.gateway)}/provider_configs`;
    const api = apiClient({ url: values.url, adminToken: values['admin-token'] });
    if (sub === 'add') {
      if (!values.provider) throw new CliError(`add needs --provider\n\n${USAGE}`);
      const secret = await readSecret(values.secret);
      const { json } = await api.call('POST', base, {
        provider_slug: values.provider,
        ...(values.alias ? { alias: values.alias } : {}),
        ...(values.default ? { default_config: true } : {}),
        secret,
      });
      const k = json.result as KeyResult;
      console.log(`Stored ${k.provider_slug} key "${k.alias}" (${k.secret_preview}) as ${k.id}`);
      return;
    }
    if (sub === 'list') {
      const { json } = await api.call('GET', base);
      const rows = (json.result as KeyResult[]).map((k) => [
        k.id,
        k.provider_slug,
        k.alias,
        k.default_config ? 'yes' : '',
        k.secret_preview,
        k.modified_at,
      ]);
      printTable(['ID', 'PROVIDER', 'ALIAS', 'DEFAULT', 'PREVIEW', 'MODIFIED'], rows, '(no stored keys)');
      return;
    }
    if (sub === 'rotate') {
      if (!id) throw new CliError('rotate needs the key ID (see "gatehouse keys list")');
      const secret = await readSecret(values.secret);
      const { json } = await api.call('PATCH', `${base}/${encodeURIComponent(id)}`, { secret });
      const k = json.result as KeyResult;
      console.log(`Rotated ${k.provider_slug} key "${k.alias}": now ${k.secret_preview}`);
      return;
    }
    if (sub === 'rm') {
      if (!id) throw new CliError('rm needs the key ID (see "gatehouse keys list")');
      await api.call('DELETE', `${base}/${encodeURIComponent(id)}`);
      console.log(`Removed key ${id}`);
      return;
    }
    throw new CliError(`unknown subcommand "${sub}"\n\n${USAGE}`);
  });
}
