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

type Path = Array<string | number>;

/**
 * Applies `f` to every credential in the settings, with where it sits: each OpenTelemetry
 * collector's `authorization` and header values (API keys, tenant tokens), and Stripe's key.
 */
function mapCredentials(s: GatewaySettings, f: (value: string, path: Path) => string): GatewaySettings {
  return {
    ...s,
    otel:
      s.otel?.map((o, i) => ({
        ...o,
        headers: Object.fromEntries(
          Object.entries(o.headers).map(([name, v]) => [name, f(v, ['otel', i, 'headers', name])]),
        ),
        ...(o.authorization === undefined
          ? {}
          : { authorization: f(o.authorization, ['otel', i, 'authorization']) }),
      })) ?? null,
    stripe: s.stripe
      ? { ...s.stripe, authorization: f(s.stripe.authorization, ['stripe', 'authorization']) }
      : null,
  };
}

/**
 * Settings as the API shows them. Anyone who may read the gateway could otherwise read the
 * credentials it holds for other services, so they are write-only: shown as REDACTED.
 */
export function redactSettings(s: GatewaySettings): GatewaySettings {
  return mapCredentials(s, () => REDACTED);
}

/**
 * Incoming settings in which REDACTED stands for the value already stored, as a client sends back
 * what it read. A collector's values are taken only from the stored collector with the same URL,
 * so changing the URL never carries a credential to another endpoint. REDACTED with nothing to
 * stand for is refused rather than stored as a credential.
 */
export function restoreSecrets(next: GatewaySettings, current: GatewaySettings | undefined): GatewaySettings {
  const storedAt = (path: Path): string | undefined => {
    if (path[0] === 'stripe') return current?.stripe?.authorization;
    const stored = current?.otel?.find((c) => c.url === next.otel?.[path[1] as number]?.url);
    return path[2] === 'headers' ? stored?.headers[path[3] as string] : stored?.authorization;
  };
  return mapCredentials(next, (value, path) => {
    if (value !== REDACTED) return value;
    const stored = storedAt(path);
    if (stored === undefined)
      throw new RedactedWithoutValue(
        path,
        path[0] === 'stripe'
          ? `"${REDACTED}" keeps the stored value, and there is none: send the value itself`
          : `"${REDACTED}" keeps the stored value, and no collector with this url has one: send the value itself`,
      );
    return stored;
  });
}

/** Marks a stored credential as sealed; a value without it is one stored before sealing began. */
const SEALED = 'sealed:';

/** The AAD of a credential's seal: a sealed value moved to another field or gateway fails to open. */
const sealedAt = (gateway: string, path: Path) => `gateway ${gateway} ${path.join('/')}`;

/** Settings as the database keeps them: each credential sealed with the master key. */
export function sealCredentials(s: GatewaySettings, masterKey: Buffer, gateway: string): GatewaySettings {
  return mapCredentials(s, (v, path) => SEALED + sealSecret(masterKey, v, sealedAt(gateway, path)));
}

/** Settings as read from the database, credentials opened; a wrong master key throws. */
export function openCredentials(s: GatewaySettings, masterKey: Buffer, gateway: string): GatewaySettings {
  return mapCredentials(s, (v, path) =>
    v.startsWith(SEALED) ? openSecret(masterKey, v.slice(SEALED.length), sealedAt(gateway, path)) : v,
  );
}
