import {
  Check,
  NumberField,
  removeAt,
  replaceAt,
  Section,
  type SectionProps,
  SelectField,
  TextField,
  techniqueOptions,
} from './fields.tsx';
import type { DimDraft, SpendDraft } from './model.ts';

function newSpendRule(): SpendDraft {
  return { base: {}, id: '', enabled: true, limit: '', window: '86400', technique: '', dims: [] };
}

/** Dollar budgets, each optionally narrowed by provider, model or metadata value. */
export function SpendLimitsSection({ draft, set, editable }: SectionProps) {
  const setSpend = (i: number, patch: Partial<SpendDraft>) =>
    set({ spend_rules: replaceAt(draft.spend_rules, i, patch) });
  const setDim = (i: number, k: number, patch: Partial<DimDraft>) =>
    setSpend(i, { dims: replaceAt(draft.spend_rules[i]!.dims, k, patch) });

  return (
    <Section
      title="Spend limits"
      note="Dollar budgets over a window, optionally per provider, model or metadata value (up to 20 rules)."
    >
      <Check
        label="Spend limits enabled"
        checked={draft.spend_enabled}
        onChange={(v) => set({ spend_enabled: v })}
      />
      {draft.spend_rules.map((r, i) => (
        <fieldset class="rule" key={i}>
          <legend>Spend rule {i + 1}</legend>
          <div class="fields">
            <TextField
              label="Rule id"
              value={r.id}
              onInput={(v) => setSpend(i, { id: v })}
              placeholder="optional"
            />
            <NumberField
              label="Budget (USD)"
              value={r.limit}
              min={0}
              onInput={(v) => setSpend(i, { limit: v })}
            />
            <NumberField
              label="Window (seconds)"
              value={r.window}
              min={1}
              onInput={(v) => setSpend(i, { window: v })}
            />
            <SelectField
              label="Technique"
              value={r.technique}
              options={techniqueOptions('not set (sliding)')}
              onChange={(v) => setSpend(i, { technique: v })}
            />
            <Check label="Enabled" checked={r.enabled} onChange={(v) => setSpend(i, { enabled: v })} />
          </div>
          {r.dims.map((d, k) => (
            <div class="fields dim" key={k}>
              <SelectField
                label={`Narrow by (${k + 1})`}
                value={d.on}
                options={[
                  ['provider', 'provider'],
                  ['model', 'model'],
                  ['metadata', 'metadata key'],
                ]}
                onChange={(v) => setDim(i, k, { on: v })}
              />
              {d.on === 'metadata' ? (
                <TextField
                  label="Metadata key"
                  value={d.metaKey}
                  onInput={(v) => setDim(i, k, { metaKey: v })}
                />
              ) : null}
              <SelectField
                label="Mode"
                value={d.mode}
                options={[
                  ['filter', 'only these values'],
                  ['partition', 'a budget per value'],
                ]}
                onChange={(v) => setDim(i, k, { mode: v })}
              />
              {d.mode === 'filter' ? (
                <TextField
                  label="Values"
                  value={d.values}
                  onInput={(v) => setDim(i, k, { values: v })}
                  hint="comma-separated"
                />
              ) : null}
              {editable ? (
                <button type="button" onClick={() => setSpend(i, { dims: removeAt(r.dims, k) })}>
                  Remove narrowing {k + 1}
                </button>
              ) : null}
            </div>
          ))}
          {editable ? (
            <div class="row-actions">
              <button
                type="button"
                onClick={() =>
                  setSpend(i, {
                    dims: [...r.dims, { on: 'provider', metaKey: '', mode: 'filter', values: '' }],
                  })
                }
              >
                Narrow spend rule {i + 1}
              </button>
              <button type="button" onClick={() => set({ spend_rules: removeAt(draft.spend_rules, i) })}>
                Remove spend rule {i + 1}
              </button>
            </div>
          ) : null}
        </fieldset>
      ))}
      {editable ? (
        <button type="button" onClick={() => set({ spend_rules: [...draft.spend_rules, newSpendRule()] })}>
          Add spend rule
        </button>
      ) : draft.spend_rules.length === 0 ? (
        <p class="muted">No spend rules.</p>
      ) : null}
    </Section>
  );
}
