import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/spawn.ts';

/** Types and lint are part of the test suite, so CI fails on them like on any test (tests included). */
describe('static checks', () => {
  const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

  it('tsc --noEmit passes (strict, tests and bench included)', () => {
    const r = spawnSync(bin('tsc'), ['--noEmit', '-p', ROOT], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('tsc passes on the dashboard (its own browser config)', () => {
    const r = spawnSync(bin('tsc'), ['--noEmit', '-p', join(ROOT, 'dashboard')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('biome check passes', () => {
    const r = spawnSync(bin('biome'), ['check', '--reporter=summary', '.'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 60_000);
});
