import { readFileSync } from 'node:fs';
import { z } from 'zod';

const price = z.number().nonnegative();
const entrySchema = z
  .object({
    id: z.string().min(1),
    aliases: z.array(z.string().min(1)).optional(),
    providers: z.array(z.string().min(1)).min(1),
    input: price,
    output: price,
    cache_read: price.optional(),
    cache_write: price.optional(),
    reasoning: price.optional(),
    effective_from: z.iso.date(),
    note: z.string().optional(),
  })
  .strict();
const tableSchema = z.object({
  about: z.string().optional(),
  unit: z.string().optional(),
  models: z.array(entrySchema),
});

export type PriceEntry = z.infer<typeof entrySchema>;

/** A model's price and where it came from. Prices are USD per million tokens. */
export interface PriceMatch {
  entry: PriceEntry;
  /** `shipped` (data/prices.json) or the operator's file. */
  source: string;
  /** The name that matched: the entry's id or an alias. */
  matched: string;
}

export class PriceTable {
  readonly #byProvider = new Map<string, Map<string, { entry: PriceEntry; source: string; name: string }>>();

  add(entries: PriceEntry[], source: string): void {
    for (const entry of entries) {
      for (const provider of entry.providers) {
        const names = this.#byProvider.get(provider) ?? new Map();
        this.#byProvider.set(provider, names);
        for (const name of [entry.id, ...(entry.aliases ?? [])])
          names.set(name.toLowerCase(), { entry, source, name });
      }
    }
  }

  /**
   * The price of `model` served by `provider`. Dated and versioned ids resolve to their family
   * (`gpt-4o-2024-08-06` → `gpt-4o`, `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`) by
   * dropping `-suffix` parts from the right until a name matches; Bedrock ids lose their
   * cross-region and vendor prefixes and version suffix first (`us.anthropic.claude-…-v1:0`).
   */
  lookup(provider: string, model: string | null): PriceMatch | undefined {
    if (!model) return undefined;
    const names = this.#byProvider.get(provider);
    if (!names) return undefined;
    for (let candidate = normalize(provider, model); candidate; candidate = shorten(candidate)) {
      const hit = names.get(candidate);
      if (hit) return { entry: hit.entry, source: hit.source, matched: hit.name };
    }
    return undefined;
  }

  providers(): string[] {
    return [...this.#byProvider.keys()].sort();
  }

  /** Every entry for a provider, once each (for listings such as /compat/models). */
  entries(provider: string): PriceEntry[] {
    return [...new Set([...(this.#byProvider.get(provider)?.values() ?? [])].map((v) => v.entry))];
  }
}

function normalize(provider: string, model: string): string {
  let m = model.trim().toLowerCase();
  if (m.startsWith('models/')) m = m.slice(7); // Google's resource names
  if (provider === 'google-vertex-ai' || provider === 'openrouter') {
    m = m.replace(/^(google|anthropic|openai|publishers\/google\/models)\//, '');
  }
  if (provider === 'aws-bedrock') {
    m = m
      .replace(/^arn:aws:bedrock:[^/]+\/(?:[^/]+\/)?/, '')
      .replace(/^(us|eu|apac|global|us-gov|jp|au)\./, '')
      .replace(/^anthropic\./, '')
      .replace(/-v\d+(:\d+)?$/, '')
      .replace(/:\d+$/, '');
  }
  if (provider === 'google-vertex-ai') m = m.replace(/@\d{8}$/, '');
  return m;
}

function shorten(name: string): string {
  const i = name.lastIndexOf('-');
  return i > 0 ? name.slice(0, i) : '';
}

const SHIPPED = new URL('../../data/prices.json', import.meta.url);

/** The shipped table, with the operator's file (same shape) layered over it when given. */
export function loadPriceTable(extraFile?: string): PriceTable {
  const table = new PriceTable();
  table.add(tableSchema.parse(JSON.parse(readFileSync(SHIPPED, 'utf8'))).models, 'shipped');
  if (extraFile) {
    const parsed = tableSchema.safeParse(JSON.parse(readFileSync(extraFile, 'utf8')));
    if (!parsed.success) {
      throw new Error(
        `${extraFile}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    table.add(parsed.data.models, extraFile);
  }
  return table;
}
