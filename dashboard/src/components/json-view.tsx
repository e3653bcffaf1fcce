import { useState } from 'preact/hooks';

/** Each SSE frame's `data`, joined as the spec says (several `data:` lines make one value). */
function sseData(raw: string): string[] {
  const out: string[] = [];
  for (const frame of raw.split(/\r?\n\r?\n/)) {
    const data = frame
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data) out.push(data);
  }
  return out;
}

export function looksLikeStream(text: string, contentType?: string | null): boolean {
  if (contentType?.includes('text/event-stream')) return true;
  return /^(data|event):/m.test(text.slice(0, 2000)) && text.includes('\n\n');
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;

/**
 * The text a streamed answer carried, joined from its chunks: OpenAI chat `delta.content` (first
 * choice), Anthropic `text_delta`, OpenAI Responses `output_text.delta` and Gemini parts. Null when
 * no chunk carried text in a shape known here (then only the raw stream is worth showing).
 */
export function assembleStream(raw: string): string | null {
  let text = '';
  let found = false;
  for (const data of sseData(raw)) {
    if (data === '[DONE]') continue;
    let j: Json | undefined;
    try {
      j = obj(JSON.parse(data));
    } catch {
      continue;
    }
    if (!j) continue;
    if (Array.isArray(j['choices'])) {
      for (const c of j['choices']) {
        const choice = obj(c);
        if (!choice || (choice['index'] ?? 0) !== 0) continue;
        const content = obj(choice['delta'])?.['content'] ?? choice['text'];
        if (typeof content === 'string') {
          text += content;
          found = true;
        }
      }
    } else if (j['type'] === 'content_block_delta') {
      const delta = obj(j['delta']);
      if (delta?.['type'] === 'text_delta' && typeof delta['text'] === 'string') {
        text += delta['text'];
        found = true;
      }
    } else if (j['type'] === 'response.output_text.delta' && typeof j['delta'] === 'string') {
      text += j['delta'];
      found = true;
    } else if (Array.isArray(j['candidates'])) {
      const parts = obj(obj(j['candidates'][0])?.['content'])?.['parts'];
      for (const p of Array.isArray(parts) ? parts : []) {
        const t = obj(p)?.['text'];
        if (typeof t === 'string' && obj(p)?.['thought'] !== true) {
          text += t;
          found = true;
        }
      }
    }
  }
  return found ? text : null;
}

/** A value as pretty JSON; a string is shown as it is. */
export function JsonView({ value }: { value: unknown }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return <pre class="body">{text}</pre>;
}

/**
 * A stored body: pretty JSON, or for a stream the assembled text with a toggle to the raw events.
 */
export function BodyView({ value, contentType }: { value: unknown; contentType?: string | null }) {
  const [raw, setRaw] = useState(false);
  if (typeof value !== 'string' || !looksLikeStream(value, contentType)) {
    return <JsonView value={value} />;
  }
  const assembled = assembleStream(value);
  if (assembled === null) {
    return (
      <>
        <p class="muted">A stream in a format not assembled here; the raw events:</p>
        <JsonView value={value} />
      </>
    );
  }
  return (
    <>
      <div class="body-toolbar">
        <span class="muted">{raw ? 'Raw server-sent events' : 'Streamed response, assembled text'}</span>
        <button type="button" aria-pressed={raw} onClick={() => setRaw(!raw)}>
          Show raw stream
        </button>
      </div>
      {raw ? <JsonView value={value} /> : <pre class="body assembled">{assembled}</pre>}
    </>
  );
}
