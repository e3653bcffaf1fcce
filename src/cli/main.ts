import { parseArgs } from 'node:util';
import { own } from '../util/own.ts';

/**
 * `gatehouse <command>`: each command is a module with `run(args)`, loaded on demand so that
 * `gatehouse tokens list` does not pay for the server's imports.
 */
const COMMANDS: Record<
  string,
  { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }
> = {
  start: { summary: 'run the gateway', load: () => import('./start.ts') },
  demo: {
    summary: 'run the gateway with a built-in fake provider and sample traffic',
    load: () => import('./demo.ts'),
  },
  tokens: { summary: 'create, list and revoke gateway tokens', load: () => import('./tokens.ts') },
  keys: { summary: 'store, list, rotate and remove provider keys (BYOK)', load: () => import('./keys.ts') },
  providers: { summary: 'add and list custom providers', load: () => import('./providers.ts') },
  logs: { summary: "follow a gateway's log as it is written (tail)", load: () => import('./logs.ts') },
  cache: { summary: "purge a gateway's cached answers, or one entry", load: () => import('./cache.ts') },
  prices: { summary: 'what a model costs, and where the price came from', load: () => import('./prices.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: gatehouse <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "gatehouse <command> --help" for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, strict: false, allowPositionals: true });
  const name = positionals[0];
  if (!name || name === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = own(COMMANDS, name);
  if (!command) {
    console.error(`gatehouse: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  const mod = await command.load();
  return mod.run(argv.slice(argv.indexOf(name) + 1));
}

process.exitCode = await main(process.argv.slice(2));
