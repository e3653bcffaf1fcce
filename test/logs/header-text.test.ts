import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { headerText } from '../../src/proxy/options.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

/** A header value whose bytes on the wire are `text` encoded as UTF-8 (as curl sends what a terminal typed). */
const utf8OnTheWire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('non-ASCII text in cf-aig-metadata and cf-aig-event-id', () => {
  const ctx = useGatewayWithMock();

  async function send(headers: Record<string, string>) {
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk', ...headers },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    return res.headers['cf-aig-log-id'] as string;
  }
  const logOf = async (id: string) => {
    await ctx.gw.flushLogs();
    return (await ctx.gw.api('GET', `/gateways/default/logs/${id}`)).json.result;
  };

  it('UTF-8 bytes are read as UTF-8: stored, and found by a filter, as the client wrote them', async () => {
    const metadata = { user: 'José Łukasz', city: '東京', note: 'naïve 🚀' };
    const id = await send({
      'cf-aig-metadata': utf8OnTheWire(JSON.stringify(metadata)),
      'cf-aig-event-id': utf8OnTheWire('commande-été-42'),
    });
    const log = await logOf(id);
    expect(JSON.parse(log.metadata)).toEqual(metadata);
    expect(log.event_id).toBe('commande-été-42');
    const filters = encodeURIComponent(
      JSON.stringify([{ key: 'metadata.value', operator: 'eq', value: ['東京'] }]),
    );
    const found = await ctx.gw.api('GET', `/gateways/default/logs?filters=${filters}`);
    expect(found.json.result.map((l: { id: string }) => l.id)).toEqual([id]);
  });

  it('a latin1 byte, as fetch sends "é", stays that character', async () => {
    const id = await send({ 'cf-aig-metadata': '{"user":"José"}' });
    expect(JSON.parse((await logOf(id)).metadata)).toEqual({ user: 'José' });
  });

  it('headerText: ASCII as is, UTF-8 decoded, anything else latin1', () => {
    expect(headerText('plain')).toBe('plain');
    expect(headerText(utf8OnTheWire('Grüße'))).toBe('Grüße');
    expect(headerText('Grüße')).toBe('Grüße'); // ü and ß as single latin1 bytes: not valid UTF-8
    expect(headerText('\u00c3')).toBe('\u00c3'); // a lone lead byte
  });
});
