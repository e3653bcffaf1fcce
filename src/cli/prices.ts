import { parseArgs } from 'node:util';
import { loadPriceTable, type PriceMatch } from '../costs/prices.ts';
import { CliError, runCli } from './api-client.ts';
import { printTable } from './table.ts';

const USAGE = `usage:
  gatehouse prices PROVIDER/MODEL [--file PRICES.json]   what a model costs, and where the price came from
  gatehouse prices PROVIDER [--file PRICES.json]         every price known for a provider

Prices are US dollars per million tokens: the table shipped in data/prices.json, with
pricing.file / GATEHOUSE_PRICES_FILE (or --file) layered over it. Reads no running gateway.`;

const money = (v: number | undefined) => (v === undefined ? '' : `$${v}`);

function describe(provider: string, model: string, m: PriceMatch): string {
  const e = m.entry;
  const lines = [
    `${provider}/${model}: priced as "${m.matched}" (${m.source === 'shipped' ? 'data/prices.json' : m.source}, effective ${e.effective_from})`,
    `  input        ${money(e.input)} / 1M tokens`,
    `  output       ${money(e.output)} / 1M tokens`,
    `  cache read   ${money(e.cache_read ?? e.input)} / 1M tokens${e.cache_read === undefined ? ' (the input price)' : ''}`,
    `  cache write  ${money(e.cache_write ?? e.input)} / 1M tokens${e.cache_write === undefined ? ' (the input price)' : ''}`,
  ];
  if (e.reasoning !== undefined) lines.push(`  reasoning    ${money(e.reasoning)} / 1M tokens`);
  if (e.note) lines.push(`  note: ${e.note}`);
  return lines.join('\n');
}

export function run(args: string[]): Promise<number> {
  return runCli(async () => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { file: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    const [what] = positionals;
    if (values.help || !what) {
      console.log(USAGE);
      return;
    }
    const table = loadPriceTable(values.file ?? process.env['GATEHOUSE_PRICES_FILE']);
    const slash = what.indexOf('/');
    const provider = slash === -1 ? what : what.slice(0, slash);
    if (!table.providers().includes(provider)) {
      throw new CliError(`no prices for provider "${provider}"; known: ${table.providers().join(', ')}`);
    }
    if (slash === -1) {
      const rows = table
        .entries(provider)
        .map((e) => [e.id, money(e.input), money(e.output), money(e.cache_read), e.effective_from]);
      printTable(['MODEL', 'INPUT/1M', 'OUTPUT/1M', 'CACHE READ/1M', 'SINCE'], rows, '(none)');
      return;
    }
    const model = what.slice(slash + 1);
    const match = table.lookup(provider, model);
    if (!match) {
      throw new CliError(
        `no price for ${provider}/${model}: requests to it are logged with cost null, unless they send cf-aig-custom-cost or a pricing file adds it ("gatehouse prices ${provider}" lists what is known)`,
      );
    }
    console.log(describe(provider, model, match));
  });
}
