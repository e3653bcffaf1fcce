import { openAiCompatible } from '../openai-compatible.ts';
import { decodeSegment, modelFromBody } from '../shared/values.ts';

/**
 * Hugging Face Inference API: `{owner}/{model}` is the path (`bigcode/starcoder`). Task responses
 * (`[{generated_text}]`) carry no usage; the OpenAI-compatible chat route
 * (`{owner}/{model}/v1/chat/completions`) does, and the shared reader takes it.
 */
export const huggingface = openAiCompatible({
  slug: 'huggingface',
  name: 'Hugging Face',
  defaultBaseUrl: 'https://api-inference.huggingface.co/models',
  modelFromRequest(path, body) {
    const fromBody = modelFromBody(body);
    if (fromBody) return fromBody;
    const [owner, name] = path.split('/');
    return owner && name ? decodeSegment(`${owner}/${name}`) : null;
  },
});
