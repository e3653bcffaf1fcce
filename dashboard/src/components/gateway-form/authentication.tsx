import { Check, Section, type SectionProps } from './fields.tsx';

export function AuthenticationSection({ draft, set }: SectionProps) {
  return (
    <Section title="Authentication">
      <div class="fields">
        <Check
          label="Require a gateway token (authentication)"
          checked={draft.authentication}
          onChange={(v) => set({ authentication: v })}
          hint="Requests must send cf-aig-authorization: Bearer <a token with run>. Stored provider keys need this."
        />
        <Check
          label="Use stored provider keys only (byok_only)"
          checked={draft.byok_only}
          onChange={(v) => set({ byok_only: v })}
          hint="The stored key replaces a request's own; a provider without a stored key is refused."
        />
      </div>
    </Section>
  );
}
