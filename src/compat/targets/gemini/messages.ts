import { parseArguments, parseDataUrl } from '../../shared.ts';
import type { ChatMessage, ContentPart } from '../../types.ts';
import { CompatError, unsupported } from '../../types.ts';
import type { Content, Part } from './shared.ts';

/** Gemini reads the media type of a linked file from the request, not from the server's answer. */
const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
};

function imagePart(part: Extract<ContentPart, { type: 'image_url' }>, where: string, provider: string): Part {
  const { url, detail } = part.image_url;
  // Gemini has no per-image detail; resolution is one setting for the whole request.
  if (detail !== undefined && detail !== 'auto') {
    throw unsupported(`${where}.image_url.detail`, provider, `only "auto" can be honoured, got "${detail}"`);
  }
  const data = parseDataUrl(url);
  if (data) return { inlineData: { mimeType: data.mediaType, data: data.data } };
  if (!/^https?:\/\//i.test(url)) {
    throw new CompatError(`${where}.image_url.url must be a data: URL or an http(s) URL for ${provider}`);
  }
  const path = url.replace(/[?#].*$/s, '');
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const mimeType = ext ? IMAGE_TYPES[ext] : undefined;
  if (!mimeType) {
    throw unsupported(
      `${where}.image_url.url`,
      provider,
      'a linked image needs a known extension (png, jpg, jpeg, webp, gif, heic, heif) to name its type; send it as a data: URL instead',
    );
  }
  return { fileData: { mimeType, fileUri: url } };
}

function userParts(content: string | ContentPart[], where: string, provider: string): Part[] {
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, j) =>
    part.type === 'text' ? { text: part.text } : imagePart(part, `${where}.content[${j}]`, provider),
  );
}

/** Text only: system, assistant and tool content have no place for images in Gemini's turns. */
function textParts(
  content: string | ContentPart[] | null | undefined,
  where: string,
  provider: string,
): Part[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.map((part, j) => {
    if (part.type !== 'text') throw unsupported(`${where}.content[${j}].image_url`, provider);
    return { text: part.text };
  });
}

function functionResponse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // plain text result, wrapped below
  }
  return { content: text };
}

export function translateMessages(
  messages: ChatMessage[],
  provider: string,
): { system: Part[]; contents: Content[] } {
  const system: Part[] = [];
  const contents: Content[] = [];
  const toolNames = new Map<string, string>();
  messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    if ('name' in m && m.name !== undefined) {
      throw unsupported(`${where}.name`, provider, 'Gemini turns have no participant names');
    }
    switch (m.role) {
      case 'system':
      case 'developer':
        // Gemini has one system instruction for the whole request, so every system turn joins it.
        system.push(...textParts(m.content, where, provider));
        return;
      case 'user':
        contents.push({ role: 'user', parts: userParts(m.content, where, provider) });
        return;
      case 'assistant': {
        const parts = textParts(m.content, where, provider);
        for (const call of m.tool_calls ?? []) {
          toolNames.set(call.id, call.function.name);
          parts.push({
            functionCall: {
              name: call.function.name,
              args: parseArguments(call.function.arguments, provider),
            },
          });
        }
        // An assistant turn with neither text nor calls says nothing, and Gemini rejects empty turns.
        if (parts.length > 0) contents.push({ role: 'model', parts });
        return;
      }
      case 'tool': {
        const name = toolNames.get(m.tool_call_id);
        if (name === undefined) {
          throw new CompatError(
            `${where}.tool_call_id "${m.tool_call_id}" matches no earlier assistant tool call; ${provider} needs the function's name`,
          );
        }
        const text = textParts(m.content, where, provider)
          .map((p) => p['text'] as string)
          .join('');
        const part = { functionResponse: { name, response: functionResponse(text) } };
        const last = contents.at(-1);
        // Gemini wants all answers to one model turn's calls together in the next user turn.
        if (last?.role === 'user' && last.parts.every((p) => 'functionResponse' in p)) last.parts.push(part);
        else contents.push({ role: 'user', parts: [part] });
        return;
      }
    }
  });
  return { system, contents };
}
