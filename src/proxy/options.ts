import { isUtf8 } from 'node:buffer';
import { GatewayError } from '../errors/gateway-error.ts';
import { MAX_CACHE_TTL_SECONDS } from '../gateways/schema.ts';
import { own } from '../util/own.ts';

export type MetadataValue = string | number | boolean;

/** What the client asked of the gateway through `cf-aig-*` headers (SPEC.md §4), validated. */
export interface AigOptions {
  authorization?: string;
  eventId?: string;
  metadata?: Record<string, MetadataValue>;
  cacheTtl?: number;
  skipCache?: boolean;
  cacheKey?: string;
  collectLog?: boolean;
  collectLogPayload?: boolean;
  customCost?: { perTokenIn: number; perTokenOut: number } | { totalCost: number };
  requestTimeout?: number;
  maxAttempts?: number;
  retryDelay?: number;
  backoff?: 'constant' | 'linear' | 'exponential';
  byokAlias?: string;
  zdr?: boolean;
  noWholesale?: boolean;
  otelTraceId?: string;
  otelParentSpanId?: string;
}

type Parser = (value: string, into: AigOptions, header: string) => void;

const MAX_METADATA_ENTRIES = 5;

function bad(header: string, allowed: string, value?: string): GatewayError {
  const got = value === undefined ? '' : `; got "${value.length > 64 ? `${value.slice(0, 64)}…` : value}"`;
  return new GatewayError('invalidHeader', `${header} must be ${allowed}${got}`);
}

function bool(header: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw bad(header, '"true" or "false"', value);
}

function int(header: string, value: string, min: number, max: number, what: string): number {
  const v = value.trim();
  const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw bad(header, `${what} from ${min} to ${max}`, value);
  return n;
}

/**
 * A header's value as the client meant it. Node reads header bytes as latin1, which is right for
 * a client that wrote "é" as one byte (fetch in JS does), and wrong for one that sent UTF-8 (curl
 * from a terminal, Python with encoded bytes): "José" would be stored as "JosÃ©", and a filter on
 * it would never match. Bytes that form valid UTF-8 are read as UTF-8; any others stay latin1.
 */
export function headerText(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : value;
}

function text(header: string, value: string, max: number): string {
  if (value.length === 0 || value.length > max)
    throw bad(header, `a non-empty string of at most ${max} characters`);
  return value;
}

function json(header: string, value: string, shape: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw bad(header, shape, value);
  }
}

function metadata(value: string, header: string): Record<string, MetadataValue> {
  const rule = `a flat JSON object of at most ${MAX_METADATA_ENTRIES} entries whose values are strings, numbers or booleans`;
  const parsed = json(header, value, rule);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad(header, rule, value);
  const entries = Object.entries(parsed);
  if (entries.length > MAX_METADATA_ENTRIES) {
    throw bad(header, `${rule} (it has ${entries.length} entries)`);
  }
  for (const [k, v] of entries) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw bad(header, `${rule} (the value of "${k.slice(0, 40)}" is ${v === null ? 'null' : typeof v})`);
    }
  }
  return parsed as Record<string, MetadataValue>;
}

function customCost(value: string, header: string): NonNullable<AigOptions['customCost']> {
  const shape = '{"per_token_in": n, "per_token_out": n} or {"total_cost": n} with non-negative numbers';
  const v = json(header, value, shape) as Record<string, unknown> | null;
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (v && typeof v === 'object' && num(v['per_token_in']) && num(v['per_token_out'])) {
    return { perTokenIn: v['per_token_in'] as number, perTokenOut: v['per_token_out'] as number };
  }
  if (v && typeof v === 'object' && num(v['total_cost'])) return { totalCost: v['total_cost'] as number };
  throw bad(header, shape, value);
}

const PARSERS: Record<string, Parser> = {
  'cf-aig-authorization': (v, o) => {
    o.authorization = v;
  },
  'cf-aig-event-id': (v, o, h) => {
    o.eventId = text(h, headerText(v), 256);
  },
  'cf-aig-metadata': (v, o, h) => {
    o.metadata = metadata(headerText(v), h);
  },
  'cf-aig-cache-ttl': (v, o, h) => {
    o.cacheTtl = int(h, v, 60, MAX_CACHE_TTL_SECONDS, 'an integer number of seconds');
  },
  'cf-aig-skip-cache': (v, o, h) => {
    o.skipCache = bool(h, v);
  },
  'cf-aig-cache-key': (v, o, h) => {
    o.cacheKey = text(h, v, 1024);
  },
  'cf-aig-collect-log': (v, o, h) => {
    o.collectLog = bool(h, v);
  },
  'cf-aig-collect-log-payload': (v, o, h) => {
    o.collectLogPayload = bool(h, v);
  },
  'cf-aig-custom-cost': (v, o, h) => {
    o.customCost = customCost(v, h);
  },
  'cf-aig-request-timeout': (v, o, h) => {
    o.requestTimeout = int(h, v, 1, 3_600_000, 'an integer number of milliseconds');
  },
  'cf-aig-max-attempts': (v, o, h) => {
    o.maxAttempts = int(h, v, 1, 5, 'an integer');
  },
  'cf-aig-retry-delay': (v, o, h) => {
    o.retryDelay = int(h, v, 0, 5000, 'an integer number of milliseconds');
  },
  'cf-aig-backoff': (v, o, h) => {
    if (v !== 'constant' && v !== 'linear' && v !== 'exponential') {
      throw bad(h, 'one of "constant", "linear", "exponential"', v);
    }
    o.backoff = v;
  },
  'cf-aig-byok-alias': (v, o, h) => {
    o.byokAlias = text(h, v, 128);
  },
  'cf-aig-zdr': (v, o, h) => {
    o.zdr = bool(h, v);
  },
  'cf-aig-no-wholesale': (v, o, h) => {
    o.noWholesale = bool(h, v);
  },
  'cf-aig-otel-trace-id': (v, o, h) => {
    if (!/^[0-9a-f]{32}$/i.test(v)) throw bad(h, '32 hexadecimal characters', v);
    o.otelTraceId = v.toLowerCase();
  },
  'cf-aig-otel-parent-span-id': (v, o, h) => {
    if (!/^[0-9a-f]{16}$/i.test(v)) throw bad(h, '16 hexadecimal characters', v);
    o.otelParentSpanId = v.toLowerCase();
  },
};

/** The legacy names the hosted product still honours. */
const ALIASES: Record<string, string> = {
  'cf-cache-ttl': 'cf-aig-cache-ttl',
  'cf-skip-cache': 'cf-aig-skip-cache',
};

/**
 * Validates the gateway headers of one request. Unknown `cf-aig-*` names are ignored, as the
 * hosted product does, so clients written for a newer version keep working.
 */
export function readOptions(headers: ReadonlyMap<string, string>): AigOptions {
  const out: AigOptions = {};
  for (const [name, value] of headers) {
    const canonical = own(ALIASES, name) ?? name;
    if (canonical !== name && headers.has(canonical)) continue;
    own(PARSERS, canonical)?.(value, out, name);
  }
  return out;
}
