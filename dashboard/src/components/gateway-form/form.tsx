import { useState } from 'preact/hooks';
import { ErrorBox, useAction } from '../common.tsx';
import { AuthenticationSection } from './authentication.tsx';
import { CachingSection } from './caching.tsx';
import type { Gateway } from './gateway.ts';
import { GuardrailsSection } from './guardrails.tsx';
import { LoggingSection } from './logging.tsx';
import { type Draft, toBody, toDraft } from './model.ts';
import { OtelSection } from './otel.tsx';
import { OtherSection } from './other.tsx';
import { RateLimitsSection } from './rate-limits.tsx';
import { RetriesSection } from './retries.tsx';
import { SpendLimitsSection } from './spend-limits.tsx';

/**
 * Every setting of one gateway, in sections. Save sends the whole gateway back (PUT); a 400 shows
 * the server's message and keeps what was typed. With `editable` false everything is shown
 * disabled and nothing can be sent.
 */
export function GatewayForm({
  gateway,
  editable,
  save,
}: {
  gateway: Gateway;
  editable: boolean;
  save: (body: Record<string, unknown>) => Promise<Gateway>;
}) {
  const [draft, setDraft] = useState(() => toDraft(gateway));
  const saving = useAction();
  const set = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    saving.clearDone();
  };

  const submit = (e: Event) => {
    e.preventDefault();
    if (!editable) return;
    saving.run(async () => {
      const stored = await save(toBody(gateway, draft));
      setDraft(toDraft(stored));
      return 'Saved.';
    });
  };

  const sections = { draft, set, editable };

  return (
    <form class="gw-form" onSubmit={submit} noValidate aria-label={`Settings of ${gateway.id}`}>
      {/* A disabled fieldset disables every control in it: a read-only token sees values, not inputs. */}
      <fieldset class="plain stack" disabled={!editable}>
        <CachingSection {...sections} />
        <RateLimitsSection {...sections} />
        <SpendLimitsSection {...sections} />
        <LoggingSection {...sections} />
        <AuthenticationSection {...sections} />
        <RetriesSection {...sections} />
        <OtelSection {...sections} />
        <GuardrailsSection {...sections} />
        <OtherSection {...sections} />
      </fieldset>
      {editable ? (
        <div class="savebar">
          <button class="primary" type="submit" disabled={saving.busy}>
            {saving.busy ? 'Saving…' : 'Save'}
          </button>
          <span role="status" class="ok">
            {saving.done}
          </span>
          <ErrorBox error={saving.error} />
        </div>
      ) : null}
    </form>
  );
}
