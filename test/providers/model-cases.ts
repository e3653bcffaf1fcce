/** Where each provider's request names its model. The structure test requires a row per provider. */

export interface ModelCase {
  path: string;
  body: unknown;
  model: string | null;
}

const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'Hi' }] });

export const MODEL_CASES: Readonly<Record<string, readonly ModelCase[]>> = {
  anthropic: [
    { path: 'v1/messages', body: chat('claude-sonnet-4-20250514'), model: 'claude-sonnet-4-20250514' },
  ],
  'aws-bedrock': [
    {
      path: 'bedrock-runtime/us-east-1/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke',
      body: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [] },
      model: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
    },
    {
      path: 'bedrock-runtime/us-east-1/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream',
      body: { messages: [] },
      model:
        'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0',
    },
    {
      path: 'bedrock-mantle/us-east-1/v1/chat/completions',
      body: chat('openai.gpt-oss-120b'),
      model: 'openai.gpt-oss-120b',
    },
  ],
  'azure-openai': [
    { path: 'res/my-gpt4o/chat/completions', body: { messages: [] }, model: 'my-gpt4o' },
    { path: 'res/my-gpt4o/chat/completions', body: chat('gpt-4o'), model: 'gpt-4o' },
  ],
  baseten: [
    {
      path: 'v1/chat/completions',
      body: chat('deepseek-ai/DeepSeek-V3-0324'),
      model: 'deepseek-ai/DeepSeek-V3-0324',
    },
  ],
  cartesia: [{ path: 'tts/bytes', body: { model_id: 'sonic-2', transcript: 'Hi' }, model: 'sonic-2' }],
  cerebras: [{ path: 'chat/completions', body: chat('llama3.1-8b'), model: 'llama3.1-8b' }],
  cohere: [{ path: 'v2/chat', body: chat('command-a-03-2025'), model: 'command-a-03-2025' }],
  deepinfra: [
    {
      path: 'chat/completions',
      body: chat('meta-llama/Meta-Llama-3.1-8B-Instruct'),
      model: 'meta-llama/Meta-Llama-3.1-8B-Instruct',
    },
  ],
  deepseek: [{ path: 'chat/completions', body: chat('deepseek-chat'), model: 'deepseek-chat' }],
  elevenlabs: [
    {
      path: 'v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb',
      body: { text: 'Hi', model_id: 'eleven_multilingual_v2' },
      model: 'eleven_multilingual_v2',
    },
  ],
  fal: [{ path: 'fal-ai/fast-sdxl', body: { prompt: 'a fox' }, model: 'fal-ai/fast-sdxl' }],
  fireworks: [
    {
      path: 'chat/completions',
      body: chat('accounts/fireworks/models/llama-v3p1-70b-instruct'),
      model: 'accounts/fireworks/models/llama-v3p1-70b-instruct',
    },
  ],
  'google-ai-studio': [
    {
      path: 'v1beta/models/gemini-2.5-flash:generateContent',
      body: { contents: [] },
      model: 'gemini-2.5-flash',
    },
    {
      path: 'v1beta/models/gemini-2.0-flash%3AstreamGenerateContent',
      body: { contents: [] },
      model: 'gemini-2.0-flash',
    },
    { path: 'v1beta/openai/chat/completions', body: chat('gemini-2.0-flash'), model: 'gemini-2.0-flash' },
  ],
  'google-vertex-ai': [
    {
      path: 'v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent',
      body: { contents: [] },
      model: 'gemini-2.5-pro',
    },
    {
      path: 'v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4%4020250514:rawPredict',
      body: { anthropic_version: 'vertex-2023-10-16', messages: [] },
      model: 'claude-sonnet-4@20250514',
    },
    {
      path: 'v1/projects/p/locations/us-central1/endpoints/openapi/chat/completions',
      body: chat('google/gemini-2.0-flash-001'),
      model: 'google/gemini-2.0-flash-001',
    },
  ],
  grok: [{ path: 'v1/chat/completions', body: chat('grok-3-mini'), model: 'grok-3-mini' }],
  groq: [
    { path: 'chat/completions', body: chat('llama-3.3-70b-versatile'), model: 'llama-3.3-70b-versatile' },
  ],
  huggingface: [
    { path: 'bigcode/starcoder', body: { inputs: 'def fib' }, model: 'bigcode/starcoder' },
    {
      path: 'v1/chat/completions',
      body: chat('meta-llama/Llama-3.1-8B-Instruct'),
      model: 'meta-llama/Llama-3.1-8B-Instruct',
    },
  ],
  ideogram: [
    { path: 'v1/ideogram-v3/generate', body: undefined, model: 'ideogram-v3' },
    { path: 'generate', body: { image_request: { prompt: 'a lighthouse', model: 'V_2' } }, model: 'V_2' },
  ],
  mistral: [
    { path: 'v1/chat/completions', body: chat('mistral-small-latest'), model: 'mistral-small-latest' },
  ],
  ollama: [{ path: 'api/chat', body: chat('llama3.2'), model: 'llama3.2' }],
  openai: [
    { path: 'chat/completions', body: chat('gpt-4o-mini'), model: 'gpt-4o-mini' },
    { path: 'audio/speech', body: undefined, model: null },
  ],
  openrouter: [
    {
      path: 'chat/completions',
      body: chat('anthropic/claude-3.5-haiku'),
      model: 'anthropic/claude-3.5-haiku',
    },
  ],
  parallel: [{ path: 'v1/tasks/runs', body: { input: 'What is 2+2?', processor: 'core' }, model: 'core' }],
  'perplexity-ai': [{ path: 'chat/completions', body: chat('sonar'), model: 'sonar' }],
  replicate: [
    {
      path: 'models/meta/meta-llama-3-70b-instruct/predictions',
      body: { input: {} },
      model: 'meta/meta-llama-3-70b-instruct',
    },
    { path: 'predictions', body: { version: '5c7d5dc6dd8b', input: {} }, model: null },
  ],
  together: [
    {
      path: 'chat/completions',
      body: chat('meta-llama/Llama-3.3-70B-Instruct-Turbo'),
      model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    },
  ],
  'workers-ai': [
    {
      path: '@cf/meta/llama-3.1-8b-instruct',
      body: { prompt: 'Hi' },
      model: '@cf/meta/llama-3.1-8b-instruct',
    },
    { path: '%40cf/baai/bge-base-en-v1.5', body: { text: ['Hi'] }, model: '@cf/baai/bge-base-en-v1.5' },
    {
      path: 'v1/chat/completions',
      body: chat('@cf/meta/llama-3.3-70b-instruct-fp8-fast'),
      model: '@cf/meta/llama-3.3-70b-instruct-fp8-fast',
    },
  ],
};
