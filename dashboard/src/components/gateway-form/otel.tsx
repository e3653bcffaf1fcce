import {
  removeAt,
  replaceAt,
  Section,
  type SectionProps,
  SelectField,
  TextArea,
  TextField,
} from './fields.tsx';
import type { OtelDraft } from './model.ts';

function newOtel(): OtelDraft {
  return { base: {}, url: '', headers: '', authorization: '', contentType: '', compression: '' };
}

/** The OpenTelemetry collectors that receive a span per attempt. */
export function OtelSection({ draft, set, editable }: SectionProps) {
  const setOtel = (i: number, patch: Partial<OtelDraft>) => set({ otel: replaceAt(draft.otel, i, patch) });

  return (
    <Section title="OpenTelemetry" note="A span per attempt, sent over OTLP/HTTP to each collector.">
      {draft.otel.map((o, i) => (
        <fieldset class="rule" key={i}>
          <legend>Exporter {i + 1}</legend>
          <div class="fields">
            <TextField
              label="Collector URL"
              type="url"
              wide
              value={o.url}
              onInput={(v) => setOtel(i, { url: v })}
              placeholder="https://collector.example/v1/traces"
            />
            <TextField
              label="Authorization"
              type="password"
              value={o.authorization}
              onInput={(v) => setOtel(i, { authorization: v })}
              hint="sent as the Authorization header; optional. A stored one reads [redacted]: leave it to keep it"
            />
            <SelectField
              label="Content type"
              value={o.contentType}
              options={[
                ['', 'not set (json)'],
                ['json', 'json'],
                ['protobuf', 'protobuf'],
              ]}
              onChange={(v) => setOtel(i, { contentType: v })}
            />
            <SelectField
              label="Compression"
              value={o.compression}
              options={[
                ['', 'not set (none)'],
                ['none', 'none'],
                ['gzip', 'gzip'],
              ]}
              onChange={(v) => setOtel(i, { compression: v })}
            />
          </div>
          <TextArea
            label="Headers"
            value={o.headers}
            onInput={(v) => setOtel(i, { headers: v })}
            placeholder="x-team: search"
            hint={'one "Name: value" per line; stored values read [redacted] and are kept as they are'}
          />
          {editable ? (
            <button type="button" onClick={() => set({ otel: removeAt(draft.otel, i) })}>
              Remove exporter {i + 1}
            </button>
          ) : null}
        </fieldset>
      ))}
      {editable ? (
        <button type="button" onClick={() => set({ otel: [...draft.otel, newOtel()] })}>
          Add exporter
        </button>
      ) : draft.otel.length === 0 ? (
        <p class="muted">No exporters.</p>
      ) : null}
    </Section>
  );
}
