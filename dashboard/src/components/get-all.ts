import type { Api } from '../api.ts';

/** Every page of a paginated list (tokens, custom providers: short lists, but not capped). */
export async function getAll<T>(api: Api, path: string): Promise<T[]> {
  const out: T[] = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let page = 1; ; page++) {
    const { result, info } = await api.request<T[]>('GET', `${path}${sep}page=${page}&per_page=100`);
    out.push(...result);
    if (!info || result.length < 100 || out.length >= info.total_count) return out;
  }
}
