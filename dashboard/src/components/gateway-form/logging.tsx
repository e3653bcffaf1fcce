import {
  Check,
  NotEnforced,
  NumberField,
  Section,
  type SectionProps,
  SelectField,
  TextArea,
} from './fields.tsx';

export function LoggingSection({ draft, set }: SectionProps) {
  return (
    <Section title="Logging and retention">
      <div class="fields">
        <Check label="Collect logs" checked={draft.collect_logs} onChange={(v) => set({ collect_logs: v })} />
        <NumberField
          label="Keep at most (logs)"
          value={draft.log_management}
          min={0}
          onInput={(v) => set({ log_management: v })}
          hint="empty: no cap"
        />
        <SelectField
          label="When the cap is reached"
          value={draft.log_management_strategy}
          options={[
            ['', 'not set (delete the oldest)'],
            ['DELETE_OLDEST', 'delete the oldest'],
            ['STOP_INSERTING', 'stop storing new logs'],
          ]}
          onChange={(v) => set({ log_management_strategy: v })}
        />
      </div>
      <div class="fields">
        <Check
          label="Log classification"
          checked={draft.log_classification}
          onChange={(v) => set({ log_classification: v })}
          hint={<NotEnforced />}
        />
        <Check
          label="Zero data retention (zdr)"
          checked={draft.zdr}
          onChange={(v) => set({ zdr: v })}
          hint={<NotEnforced />}
        />
        <Check
          label="Logpush"
          checked={draft.logpush}
          onChange={(v) => set({ logpush: v })}
          hint={<NotEnforced />}
        />
      </div>
      <TextArea
        label="Logpush public key"
        value={draft.logpush_public_key}
        onInput={(v) => set({ logpush_public_key: v })}
        hint={<NotEnforced />}
      />
    </Section>
  );
}
