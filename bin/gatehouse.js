#!/usr/bin/env node
// The CLI is TypeScript run by Node's type stripping; this shim only gives it a bin name.
await import('../src/cli/main.ts');
