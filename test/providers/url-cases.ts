/**
 * Where each provider sends a sample request, and which paths it refuses. The structure test fails
 * when a built-in provider has no row here.
 */

export interface UrlCase {
  path: string;
  search?: string;
  accountId?: string;
  baseUrl?: string;
  url: string;
}

export interface RejectCase {
  path: string;
  baseUrl?: string;
  /** A fragment the message must contain, so it tells the client what is wrong. */
  message: string;
}

export const URL_CASES: Readonly<Record<string, readonly UrlCase[]>> = {
  anthropic: [{ path: 'v1/messages', url: 'https://api.anthropic.com/v1/messages' }],
  'aws-bedrock': [
    {
      path: 'bedrock-runtime/us-east-1/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse',
      url: 'https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse',
    },
    {
      path: 'bedrock-mantle/eu-west-1/anthropic/v1/messages',
      url: 'https://bedrock-mantle.eu-west-1.api.aws/anthropic/v1/messages',
    },
    {
      path: 'bedrock-runtime/us-west-2/model/amazon.titan-embed-text-v1/invoke',
      baseUrl: 'http://127.0.0.1:4010',
      url: 'http://127.0.0.1:4010/model/amazon.titan-embed-text-v1/invoke',
    },
  ],
  'azure-openai': [
    {
      path: 'my-resource/gpt-4o/chat/completions',
      search: '?api-version=2024-10-21',
      url: 'https://my-resource.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
    },
    {
      path: 'my-resource/text-embedding-3-small/embeddings',
      search: '?api-version=2023-05-15',
      baseUrl: 'http://127.0.0.1:4010',
      url: 'http://127.0.0.1:4010/openai/deployments/text-embedding-3-small/embeddings?api-version=2023-05-15',
    },
  ],
  baseten: [{ path: 'v1/chat/completions', url: 'https://inference.baseten.co/v1/chat/completions' }],
  cartesia: [{ path: 'tts/bytes', url: 'https://api.cartesia.ai/tts/bytes' }],
  cerebras: [{ path: 'chat/completions', url: 'https://api.cerebras.ai/v1/chat/completions' }],
  cohere: [
    { path: 'v1/chat', url: 'https://api.cohere.ai/v1/chat' },
    { path: 'v2/chat', url: 'https://api.cohere.ai/v2/chat' },
  ],
  deepinfra: [{ path: 'chat/completions', url: 'https://api.deepinfra.com/v1/openai/chat/completions' }],
  deepseek: [{ path: 'chat/completions', url: 'https://api.deepseek.com/chat/completions' }],
  elevenlabs: [
    {
      path: 'v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb',
      search: '?output_format=mp3_44100_128',
      url: 'https://api.elevenlabs.io/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb?output_format=mp3_44100_128',
    },
  ],
  fal: [{ path: 'fal-ai/fast-sdxl', url: 'https://fal.run/fal-ai/fast-sdxl' }],
  fireworks: [{ path: 'chat/completions', url: 'https://api.fireworks.ai/inference/v1/chat/completions' }],
  'google-ai-studio': [
    {
      path: 'v1beta/models/gemini-2.5-flash:streamGenerateContent',
      search: '?alt=sse',
      url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    },
  ],
  'google-vertex-ai': [
    {
      path: 'v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent',
      url: 'https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent',
    },
    {
      path: 'v1/projects/my-proj/locations/global/publishers/google/models/gemini-2.5-flash:generateContent',
      url: 'https://aiplatform.googleapis.com/v1/projects/my-proj/locations/global/publishers/google/models/gemini-2.5-flash:generateContent',
    },
    {
      path: 'v1beta1/projects/p/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict',
      baseUrl: 'http://127.0.0.1:4010',
      url: 'http://127.0.0.1:4010/v1beta1/projects/p/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict',
    },
  ],
  grok: [
    { path: 'v1/chat/completions', url: 'https://api.x.ai/v1/chat/completions' },
    { path: 'chat/completions', url: 'https://api.x.ai/v1/chat/completions' },
  ],
  groq: [{ path: 'chat/completions', url: 'https://api.groq.com/openai/v1/chat/completions' }],
  huggingface: [
    { path: 'bigcode/starcoder', url: 'https://api-inference.huggingface.co/models/bigcode/starcoder' },
  ],
  ideogram: [{ path: 'v1/ideogram-v3/generate', url: 'https://api.ideogram.ai/v1/ideogram-v3/generate' }],
  mistral: [{ path: 'v1/chat/completions', url: 'https://api.mistral.ai/v1/chat/completions' }],
  ollama: [
    { path: 'v1/chat/completions', url: 'http://127.0.0.1:11434/v1/chat/completions' },
    { path: 'api/chat', baseUrl: 'http://gpu-box:11434', url: 'http://gpu-box:11434/api/chat' },
  ],
  openai: [
    { path: 'chat/completions', url: 'https://api.openai.com/v1/chat/completions' },
    { path: 'responses', baseUrl: 'http://127.0.0.1:4010/v1', url: 'http://127.0.0.1:4010/v1/responses' },
  ],
  openrouter: [
    { path: 'chat/completions', url: 'https://openrouter.ai/api/v1/chat/completions' },
    { path: 'v1/chat/completions', url: 'https://openrouter.ai/api/v1/chat/completions' },
  ],
  parallel: [{ path: 'v1/tasks/runs', url: 'https://api.parallel.ai/v1/tasks/runs' }],
  'perplexity-ai': [{ path: 'chat/completions', url: 'https://api.perplexity.ai/chat/completions' }],
  replicate: [{ path: 'predictions', url: 'https://api.replicate.com/v1/predictions' }],
  together: [{ path: 'chat/completions', url: 'https://api.together.xyz/v1/chat/completions' }],
  'workers-ai': [
    {
      path: '@cf/meta/llama-3.1-8b-instruct',
      accountId: '0123456789abcdef0123456789abcdef',
      url: 'https://api.cloudflare.com/client/v4/accounts/0123456789abcdef0123456789abcdef/ai/run/@cf/meta/llama-3.1-8b-instruct',
    },
    {
      path: 'v1/chat/completions',
      accountId: 'acc',
      url: 'https://api.cloudflare.com/client/v4/accounts/acc/ai/v1/chat/completions',
    },
    {
      path: '@hf/thebloke/deepseek-coder-6.7b-instruct-awq',
      accountId: 'acc',
      baseUrl: 'http://127.0.0.1:4010/accounts/{account_id}/ai',
      url: 'http://127.0.0.1:4010/accounts/acc/ai/run/@hf/thebloke/deepseek-coder-6.7b-instruct-awq',
    },
  ],
};

/** Provider-specific refusals; the shared path checks are tested for every provider apart. */
export const REJECT_CASES: Readonly<Record<string, readonly RejectCase[]>> = {
  'azure-openai': [
    { path: 'evil.com%2F/gpt-4o/chat/completions', message: 'Azure resource name' },
    { path: 'my-resource.evil.com/gpt-4o/chat/completions', message: 'Azure resource name' },
    { path: 'My_Resource/gpt-4o/chat/completions', message: 'Azure resource name' },
    { path: 'my-resource/gpt-4o', message: '{resource}/{deployment}/{operation}' },
    { path: 'my-resource//chat/completions', message: '{resource}/{deployment}/{operation}' },
  ],
  'aws-bedrock': [
    { path: 'bedrock-runtime/us-east-1.evil.com/model/x/invoke', message: 'AWS region' },
    { path: 'bedrock-runtime/us-east-1@evil.com/model/x/invoke', message: 'AWS region' },
    { path: 'bedrock-runtime/-us-east-1/model/x/invoke', message: 'AWS region' },
    { path: 'bedrock-agent/us-east-1/agents', message: 'bedrock-runtime/{region}/' },
    { path: 'bedrock-runtime/us-east-1', message: 'bedrock-runtime/{region}/' },
    { path: 'constructor/us-east-1/x', message: 'bedrock-runtime/{region}/' },
  ],
  'google-vertex-ai': [
    {
      path: 'v1/projects/p/locations/us-central1.evil.com/publishers/google/models/m:x',
      message: 'Vertex AI region',
    },
    { path: 'v1/projects/p/locations/a%2Eb/publishers/google/models/m:x', message: 'Vertex AI region' },
    {
      path: 'v1/publishers/google/models/gemini-pro:generateContent',
      message: 'v1/projects/{project}/locations/{region}/',
    },
  ],
};
