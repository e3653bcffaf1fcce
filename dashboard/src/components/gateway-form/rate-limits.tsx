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
import type { RuleDraft } from './model.ts';

const RULE_KEYS = [
  ['gateway', 'the whole gateway'],
  ['token', 'each gateway token'],
  ['provider', 'each provider'],
  ['model', 'each model'],
  ['provider_model', 'each provider + model'],
  ['metadata', 'each metadata value'],
] as const;

function newRule(): RuleDraft {
  return {
    base: {},
    id: '',
    enabled: true,
    keyKind: 'metadata',
    metaKey: 'user',
    limit: '',
    interval: '60',
    technique: '',
    unit: '',
  };
}

/** The gateway-wide request budget, and the finer rules that give each key value its own. */
export function RateLimitsSection({ draft, set, editable }: SectionProps) {
  const setRule = (i: number, patch: Partial<RuleDraft>) =>
    set({ rate_limits: replaceAt(draft.rate_limits, i, patch) });

  return (
    <Section
      title="Rate limits"
      note="One budget of requests per interval for the whole gateway; 0 or empty for none."
    >
      <div class="fields">
        <NumberField
          label="Requests per interval"
          value={draft.rate_limiting_limit}
          min={0}
          onInput={(v) => set({ rate_limiting_limit: v })}
        />
        <NumberField
          label="Interval (seconds)"
          value={draft.rate_limiting_interval}
          min={0}
          onInput={(v) => set({ rate_limiting_interval: v })}
        />
        <SelectField
          label="Technique"
          value={draft.rate_limiting_technique}
          options={techniqueOptions('not set (fixed)')}
          onChange={(v) => set({ rate_limiting_technique: v })}
        />
      </div>
      <h3>Finer rules</h3>
      <p class="hint">
        Each rule gives every value of its key its own budget of requests or tokens (up to 20 rules).
      </p>
      {draft.rate_limits.map((r, i) => (
        <fieldset class="rule" key={i}>
          <legend>Rate limit rule {i + 1}</legend>
          <div class="fields">
            <TextField
              label="Rule id"
              value={r.id}
              onInput={(v) => setRule(i, { id: v })}
              placeholder="optional"
            />
            <SelectField
              label="Budget for"
              value={r.keyKind}
              options={RULE_KEYS}
              onChange={(v) => setRule(i, { keyKind: v })}
            />
            {r.keyKind === 'metadata' ? (
              <TextField
                label="Metadata key"
                value={r.metaKey}
                onInput={(v) => setRule(i, { metaKey: v })}
                hint="a cf-aig-metadata key, e.g. user"
              />
            ) : null}
            <NumberField label="Limit" value={r.limit} min={1} onInput={(v) => setRule(i, { limit: v })} />
            <SelectField
              label="Unit"
              value={r.unit}
              options={[
                ['', 'not set (requests)'],
                ['requests', 'requests'],
                ['tokens', 'tokens'],
              ]}
              onChange={(v) => setRule(i, { unit: v })}
            />
            <NumberField
              label="Interval (seconds)"
              value={r.interval}
              min={1}
              onInput={(v) => setRule(i, { interval: v })}
            />
            <SelectField
              label="Technique"
              value={r.technique}
              options={techniqueOptions('not set (fixed)')}
              onChange={(v) => setRule(i, { technique: v })}
            />
            <Check label="Enabled" checked={r.enabled} onChange={(v) => setRule(i, { enabled: v })} />
            {editable ? (
              <button type="button" onClick={() => set({ rate_limits: removeAt(draft.rate_limits, i) })}>
                Remove rule {i + 1}
              </button>
            ) : null}
          </div>
        </fieldset>
      ))}
      {editable ? (
        <button type="button" onClick={() => set({ rate_limits: [...draft.rate_limits, newRule()] })}>
          Add rate limit rule
        </button>
      ) : draft.rate_limits.length === 0 ? (
        <p class="muted">No finer rules.</p>
      ) : null}
    </Section>
  );
}
