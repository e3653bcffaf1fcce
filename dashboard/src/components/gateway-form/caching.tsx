import { Check, NumberField, Section, type SectionProps } from './fields.tsx';
import { MAX_CACHE_TTL } from './gateway.ts';

export function CachingSection({ draft, set }: SectionProps) {
  return (
    <Section title="Caching">
      <div class="fields">
        <NumberField
          label="Cache TTL (seconds)"
          value={draft.cache_ttl}
          min={0}
          max={MAX_CACHE_TTL}
          onInput={(v) => set({ cache_ttl: v })}
          hint="0 turns caching off; otherwise 60 s to 30 days. Requests may still ask with cf-aig-cache-ttl."
        />
        <Check
          label="Purge the cache when these settings are saved"
          checked={draft.cache_invalidate_on_update}
          onChange={(v) => set({ cache_invalidate_on_update: v })}
        />
      </div>
    </Section>
  );
}
