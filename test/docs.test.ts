import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../src/errors/codes.ts';
import { PROVIDER_SLUGS } from '../src/providers/registry.ts';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

/** The README's reference tables must cover what the code defines: a new entry fails here until documented. */
describe('README stays in step with the registries', () => {
  it('lists every gateway error code with its HTTP status', () => {
    for (const [name, kind] of Object.entries(ERRORS)) {
      expect(readme, `${name} (${kind.code})`).toMatch(
        new RegExp(`^\\| ${kind.code} \\| ${kind.status} \\|`, 'm'),
      );
    }
  });

  it('lists every provider slug', () => {
    for (const slug of PROVIDER_SLUGS) {
      expect(readme, slug).toMatch(new RegExp(`^\\| \`${slug}\` \\|`, 'm'));
    }
  });

  it('has no placeholder left', () => {
    expect(readme).not.toMatch(/<!-- [a-z-]+ -->/);
  });
});
