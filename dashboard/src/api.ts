/**
 * The management API, as the dashboard uses it: the Cloudflare v4 envelope unwrapped, failures
 * thrown with the server's own message. The token lives in sessionStorage (or localStorage when
 * "remember me" is ticked) and is sent as `Authorization: Bearer`; nothing else is stored.
 */

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
}

export class ApiFailure extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface Envelope<T> {
  success: boolean;
  result: T;
  result_info?: ResultInfo;
  errors?: Array<{ code: number; message: string }>;
}

export type Permission = 'run' | 'read' | 'edit';

/** Who is signed in: what `GET /client/v4/user/tokens/verify` answers. */
export interface Identity {
  id: string;
  kind: 'admin' | 'token';
  name: string;
  permissions: Permission[];
  /** Gateways the token is limited to; null for all. */
  gateways: string[] | null;
  account_id: string;
}

const STORE_KEY = 'gatehouse.token';

export function savedToken(): string | null {
  return sessionStorage.getItem(STORE_KEY) ?? localStorage.getItem(STORE_KEY);
}

export function saveToken(token: string, remember: boolean): void {
  (remember ? localStorage : sessionStorage).setItem(STORE_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(STORE_KEY);
  localStorage.removeItem(STORE_KEY);
}

async function parse<T>(res: Response): Promise<{ result: T; info: ResultInfo | undefined }> {
  let body: Envelope<T> | undefined;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    throw new ApiFailure(res.status, `${res.status} ${res.statusText}: the answer was not JSON`);
  }
  if (!res.ok || !body.success) {
    const message = body.errors?.map((e) => e.message).join('; ') || `${res.status} ${res.statusText}`;
    throw new ApiFailure(res.status, message);
  }
  return { result: body.result, info: body.result_info };
}

export class Api {
  readonly token: string;
  account = '';

  constructor(token: string) {
    this.token = token;
  }

  #headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (json) h['content-type'] = 'application/json';
    return h;
  }

  /** `path` is relative to `/client/v4/accounts/{account}/ai-gateway`. */
  url(path: string): string {
    return `/client/v4/accounts/${encodeURIComponent(this.account)}/ai-gateway${path}`;
  }

  async verify(): Promise<Identity> {
    const res = await fetch('/client/v4/user/tokens/verify', { headers: this.#headers(false) });
    const { result } = await parse<Identity>(res);
    this.account = result.account_id;
    return result;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ result: T; info: ResultInfo | undefined }> {
    const res = await fetch(this.url(path), {
      method,
      headers: this.#headers(body !== undefined),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return parse<T>(res);
  }

  async get<T>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).result;
  }

  /** A raw body (a log's request or response), as text. */
  async text(path: string): Promise<{ text: string; contentType: string }> {
    const res = await fetch(this.url(path), { headers: this.#headers(false) });
    if (!res.ok) {
      const failure = await parse<unknown>(res).catch((e: unknown) => e);
      throw failure instanceof ApiFailure ? failure : new ApiFailure(res.status, res.statusText);
    }
    return { text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
  }

  /**
   * Server-sent events from a management endpoint (the live tail). EventSource cannot send an
   * Authorization header, so this reads the stream with fetch. Resolves when the stream ends or
   * `signal` aborts.
   */
  async events(path: string, onEvent: (data: string) => void, signal: AbortSignal): Promise<void> {
    const res = await fetch(this.url(path), { headers: this.#headers(false), signal });
    if (!res.ok || !res.body) {
      await parse<unknown>(res);
      return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (data) onEvent(data);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }
}
