import { parseArgs } from 'node:util';
import { createParser } from 'eventsource-parser';
import { apiClient, CLIENT_OPTIONS, CliError, GatewayUnreachable, runCli } from './api-client.ts';

const USAGE = `usage:
  gatehouse logs tail --gateway ID [--provider SLUG] [--model NAME] [--errors] [--filters JSON] [--json]

Prints each new log entry of a gateway as it is written (until Ctrl-C): time, provider, model,
status, duration, tokens and cost; --json prints the whole entry, one JSON object per line.
If the stream ends (the gateway restarts), it reconnects, every second until the gateway is back.
--filters takes the logs API's filters, e.g. '[{"key":"cached","operator":"eq","value":[true]}]'.

Options: --url URL (default http://127.0.0.1:8787), --admin-token TOKEN
(default GATEHOUSE_ADMIN_TOKEN, else {GATEHOUSE_DATA_DIR}/admin-token).`;

interface Entry {
  created_at: string;
  provider: string;
  model: string | null;
  status_code: number;
  duration: number;
  tokens_in: number | null;
  tokens_out: number | null;
  cost: number | null;
  cached: boolean;
  error: string | null;
}

function line(e: Entry): string {
  const cost = e.cost === null ? '-' : `$${e.cost.toFixed(6)}`;
  const tokens = `${e.tokens_in ?? '-'}→${e.tokens_out ?? '-'}`;
  const flags = [e.cached ? 'HIT' : '', e.error ? `error: ${e.error}` : ''].filter(Boolean).join(' ');
  return [e.created_at, e.provider, e.model ?? '-', e.status_code, `${e.duration}ms`, tokens, cost, flags]
    .join('  ')
    .trimEnd();
}

export function run(args: string[]): Promise<number> {
  return runCli(async () => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        gateway: { type: 'string' },
        provider: { type: 'string' },
        model: { type: 'string' },
        errors: { type: 'boolean' },
        filters: { type: 'string' },
        json: { type: 'boolean' },
        ...CLIENT_OPTIONS,
      },
    });
    if (values.help || positionals[0] !== 'tail') {
      console.log(USAGE);
      if (!values.help && positionals[0] !== undefined)
        throw new CliError(`unknown subcommand "${positionals[0]}"`);
      return;
    }
    if (!values.gateway) throw new CliError(`--gateway is required\n\n${USAGE}`);
    let filters: unknown[] = [];
    if (values.filters) {
      try {
        filters = JSON.parse(values.filters) as unknown[];
      } catch {
        throw new CliError('--filters must be a JSON array of {key, operator, value[]}');
      }
    }
    if (values.provider) filters.push({ key: 'provider', operator: 'eq', value: [values.provider] });
    if (values.model) filters.push({ key: 'model', operator: 'eq', value: [values.model] });
    if (values.errors) filters.push({ key: 'success', operator: 'eq', value: [false] });
    const api = apiClient({ url: values.url, adminToken: values['admin-token'] });
    const query = filters.length > 0 ? `?filters=${encodeURIComponent(JSON.stringify(filters))}` : '';
    const path = `/gateways/${encodeURIComponent(values.gateway)}/logs/tail${query}`;
    const print = (data: string) => console.log(values.json ? data : line(JSON.parse(data) as Entry));
    // The first connection fails loudly (a wrong --url, token or gateway); a stream that ends later
    // (the gateway restarting, a network blip) is opened again until Ctrl-C.
    let res = await api.stream(path);
    console.error(`tailing ${values.gateway} (Ctrl-C to stop)`);
    for (;;) {
      await readEntries(res, print);
      console.error(
        `gatehouse: the stream closed at ${new Date().toISOString()}; reconnecting (entries written until it is back are in the logs list)`,
      );
      res = await reopen(() => api.stream(path));
      console.error(`reconnected; tailing ${values.gateway}`);
    }
  });
}

/** Prints each `log` event until the stream ends or breaks. */
async function readEntries(res: Response, print: (data: string) => void): Promise<void> {
  const parser = createParser({ onEvent: (e) => e.event === 'log' && print(e.data) });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    }
  } catch {
    // A connection reset mid-stream ends it like a close does.
  }
}

const RETRY_MS = 1000;

/** Opens the stream again, waiting out an unreachable gateway; any answer that is an error ends the tail. */
async function reopen(open: () => Promise<Response>): Promise<Response> {
  for (;;) {
    try {
      return await open();
    } catch (err) {
      if (!(err instanceof GatewayUnreachable)) throw err;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
