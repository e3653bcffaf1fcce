import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * `OTEL_RESOURCE_ATTRIBUTES`, as OpenTelemetry's SDKs read it: `key=value` pairs separated by
 * commas, values percent-encoded (`%2C` for a comma). Throws naming the first pair it cannot read:
 * the specification has a malformed value discarded whole and reported, and a gateway reports a
 * setting it cannot use by refusing to start.
 */
export function parseResourceAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const pair = raw.trim();
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at).trim() : '';
    if (key === '') throw new Error(`"${pair.slice(0, 64)}" is not key=value`);
    try {
      attributes[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      throw new Error(`the value of "${key.slice(0, 64)}" is not percent-encoded text`);
    }
  }
  return attributes;
}

/**
 * The resource every exported span names: `service.name` gatehouse, this build's
 * `service.version`, a `service.instance.id` per process (so nodes can be told apart), then
 * `OTEL_RESOURCE_ATTRIBUTES` over them and `OTEL_SERVICE_NAME` over that, as in OpenTelemetry's
 * SDKs.
 */
export function serviceResource(env: {
  resourceAttributes?: Record<string, string> | undefined;
  serviceName?: string | undefined;
}): Record<string, string> {
  return {
    'service.name': 'gatehouse',
    'service.version': VERSION,
    'service.instance.id': randomUUID(),
    ...env.resourceAttributes,
    ...(env.serviceName ? { 'service.name': env.serviceName } : {}),
  };
}
