import { NotEnforced, Section, type SectionProps, SelectField, TextArea, TextField } from './fields.tsx';

export function OtherSection({ draft, set }: SectionProps) {
  return (
    <Section title="Data loss prevention, billing and storage" note={<NotEnforced />}>
      <TextArea
        label="DLP (JSON)"
        value={draft.dlp}
        onInput={(v) => set({ dlp: v })}
        placeholder='{"enabled": true, "action": "FLAG", "profiles": ["…"]}'
        hint="empty: none. Either {enabled, action, profiles} or {enabled, policies: [{id, action, check, enabled, profiles}]}."
      />
      <TextArea
        label="Stripe usage (JSON)"
        value={draft.stripe}
        onInput={(v) => set({ stripe: v })}
        placeholder='{"authorization": "…", "usage_events": [{"payload": "…"}]}'
        hint="empty: none"
      />
      <div class="fields">
        <TextField label="Store id" value={draft.store_id} onInput={(v) => set({ store_id: v })} />
        <SelectField
          label="Workers AI billing mode"
          value={draft.workers_ai_billing_mode}
          options={[
            ['postpaid', 'postpaid'],
            ['unified', 'unified'],
          ]}
          onChange={(v) => set({ workers_ai_billing_mode: v })}
        />
      </div>
    </Section>
  );
}
