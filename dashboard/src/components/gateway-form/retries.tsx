import { NumberField, Section, type SectionProps, SelectField } from './fields.tsx';

export function RetriesSection({ draft, set }: SectionProps) {
  return (
    <Section
      title="Retries"
      note="The timeout per attempt has no gateway setting: clients send cf-aig-request-timeout (ms)."
    >
      <div class="fields">
        <NumberField
          label="Max attempts"
          value={draft.retry_max_attempts}
          min={1}
          max={5}
          onInput={(v) => set({ retry_max_attempts: v })}
          hint="1 to 5; empty: 1"
        />
        <NumberField
          label="Delay (ms)"
          value={draft.retry_delay}
          min={0}
          max={5000}
          onInput={(v) => set({ retry_delay: v })}
          hint="0 to 5000; empty: 100"
        />
        <SelectField
          label="Backoff"
          value={draft.retry_backoff}
          options={[
            ['', 'not set (constant)'],
            ['constant', 'constant'],
            ['linear', 'linear'],
            ['exponential', 'exponential'],
          ]}
          onChange={(v) => set({ retry_backoff: v })}
        />
      </div>
    </Section>
  );
}
