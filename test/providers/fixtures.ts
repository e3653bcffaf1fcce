/** Loads recorded provider fixtures and replays streams through an adapter's reader. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import type { ProviderAdapter, ResponseFacts } from '../../src/providers/types.ts';

export const FIXTURES_DIR = join(import.meta.dirname, '../fixtures/providers');

export function fixtureExists(file: string): boolean {
  return existsSync(join(FIXTURES_DIR, file));
}

export function fixtureText(file: string): string {
  return readFileSync(join(FIXTURES_DIR, file), 'utf8');
}

/** Every fixture file, as `{slug}/{name}`. */
export function listFixtures(): string[] {
  if (!existsSync(FIXTURES_DIR)) return [];
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(FIXTURES_DIR, d.name)).map((f) => `${d.name}/${f}`));
}

/**
 * Feeds a recorded `.sse` file to a fresh stream reader, `pieceSize` characters at a time (as a
 * network would cut it), framed by eventsource-parser like the proxy's tee does.
 */
export function replayStream(adapter: ProviderAdapter, raw: string, pieceSize = raw.length): ResponseFacts {
  const reader = adapter.createStreamReader();
  const parser = createParser({ onEvent: (e) => reader.onEvent(e.event ?? '', e.data) });
  for (let i = 0; i < raw.length; i += pieceSize) parser.feed(raw.slice(i, i + pieceSize));
  return reader.result();
}

/** The facts a fixture yields: `.json` through `readJson`, `.sse` through the stream reader. */
export function readFixture(adapter: ProviderAdapter, file: string, pieceSize?: number): ResponseFacts {
  const raw = fixtureText(file);
  if (file.endsWith('.sse')) return replayStream(adapter, raw, pieceSize);
  return adapter.readJson(JSON.parse(raw));
}
