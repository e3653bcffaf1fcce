import { openSecret, sealSecret } from '../keys/crypto.ts';
import type { GatewaySettings } from './schema.ts';

/** What the API shows instead of a credential the gateway holds; sent back, it means "keep it". */
export const REDACTED = '[redacted]';

export class RedactedWithoutValue extends Error {
  readonly path: Array<string | number>;

  constructor(path: Array<string | number>, message: string) {
    super(message);
    this.path = path;
  }
}

type Otel = NonNullable<GatewaySettings['otel']>[number];

/**
 * Settings as the API shows them. A gateway holds credentials for other services: each OpenTelemetry
 * collector's `authorization` and header values (API keys, tenant tokens), and Stripe's key. Anyone
 * who may read the gateway could otherwise read them, so they are write-only: shown as REDACTED.
 */
export function redactSettings(s: GatewaySettings): GatewaySettings {
  return {
    ...s,
    otel:
      s.otel?.map((o) => ({
        ...o,
        headers: Object.fromEntries(Object.keys(o.headers).map((name) => [name, REDACTED])),
        ...(o.authorization === undefined ? {} : { authorization: REDACTED }),
      })) ?? null,
    stripe: s.stripe ? { ...s.stripe, authorization: REDACTED } : null,
  };
}

/**
 * Incoming settings in which REDACTED stands for the value already stored, as a client sends back
 * what it read. A collector's values are taken only from the stored collector with the same URL,
 * so changing the URL never carries a credential to another endpoint. REDACTED with nothing to
 * stand for is refused rather than stored as a credential.
 */
export function restoreSecrets(next: GatewaySettings, current: GatewaySettings | undefined): GatewaySettings {
  const otel = next.otel?.map((o, i): Otel => {
    const stored = current?.otel?.find((c) => c.url === o.url);
    const keep = (value: string, storedValue: string | undefined, path: Array<string | number>) => {
      if (value !== REDACTED) return value;
      if (storedValue === undefined)
        throw new RedactedWithoutValue(
          path,
          `"${REDACTED}" keeps the stored value, and no collector with this url has one: send the value itself`,
        );
      return storedValue;
    };
    const headers = Object.fromEntries(
      Object.entries(o.headers).map(([name, v]) => [
        name,
        keep(v, stored?.headers[name], ['otel', i, 'headers', name]),
      ]),
    );
    return {
      ...o,
      headers,
      ...(o.authorization === undefined
        ? {}
        : { authorization: keep(o.authorization, stored?.authorization, ['otel', i, 'authorization']) }),
    };
  });
  let stripe = next.stripe;
  if (stripe?.authorization === REDACTED) {
    const stored = current?.stripe?.authorization;
    if (stored === undefined)
      throw new RedactedWithoutValue(
        ['stripe', 'authorization'],
        `"${REDACTED}" keeps the stored value, and there is none: send the value itself`,
      );
    stripe = { ...stripe, authorization: stored };
  }
  return { ...next, otel: otel ?? null, stripe };
}

/** Marks a stored credential as sealed; a value without it is one stored before sealing began. */
const SEALED = 'sealed:';

/**
 * Applies `f` to every credential in the settings, with a name for where it sits (the AAD of its
 * seal, so a sealed value moved to another field or gateway fails to open).
 */
function mapCredentials(s: GatewaySettings, f: (value: string, where: string) => string): GatewaySettings {
  return {
    ...s,
    otel:
      s.otel?.map((o, i) => ({
        ...o,
        headers: Object.fromEntries(
          Object.entries(o.headers).map(([name, v]) => [name, f(v, `otel/${i}/headers/${name}`)]),
        ),
        ...(o.authorization === undefined
          ? {}
          : { authorization: f(o.authorization, `otel/${i}/authorization`) }),
      })) ?? null,
    stripe: s.stripe
      ? { ...s.stripe, authorization: f(s.stripe.authorization, 'stripe/authorization') }
      : null,
  };
}

/** Settings as the database keeps them: each credential sealed with the master key. */
export function sealCredentials(s: GatewaySettings, masterKey: Buffer, gateway: string): GatewaySettings {
  return mapCredentials(s, (v, where) => SEALED + sealSecret(masterKey, v, `gateway ${gateway} ${where}`));
}

/** Settings as read from the database, credentials opened; a wrong master key throws. */
export function openCredentials(s: GatewaySettings, masterKey: Buffer, gateway: string): GatewaySettings {
  return mapCredentials(s, (v, where) =>
    v.startsWith(SEALED) ? openSecret(masterKey, v.slice(SEALED.length), `gateway ${gateway} ${where}`) : v,
  );
}
