import { NotEnforced, Section, type SectionProps } from './fields.tsx';
import type { Verdict } from './gateway.ts';
import { GUARDRAIL_CATEGORIES } from './model.ts';

/** A verdict per hazard category, for prompts and for responses. */
export function GuardrailsSection({ draft, set }: SectionProps) {
  const setVerdict = (side: 'prompt' | 'response', cat: string, v: '' | Verdict) =>
    set({ guardrails: { ...draft.guardrails, [side]: { ...draft.guardrails[side], [cat]: v } } });

  return (
    <Section title="Guardrails" note={<NotEnforced />}>
      <div class="table-wrap">
        <table class="guardrails">
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Prompts</th>
              <th scope="col">Responses</th>
            </tr>
          </thead>
          <tbody>
            {GUARDRAIL_CATEGORIES.map(([cat, label]) => (
              <tr key={cat}>
                <th scope="row">{label}</th>
                {(['prompt', 'response'] as const).map((side) => (
                  <td key={side}>
                    <select
                      aria-label={`${cat} on ${side}s`}
                      value={draft.guardrails[side][cat]}
                      onChange={(e) =>
                        setVerdict(side, cat, (e.target as HTMLSelectElement).value as '' | Verdict)
                      }
                    >
                      <option value="">off</option>
                      <option value="FLAG">flag</option>
                      <option value="BLOCK">block</option>
                    </select>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}
