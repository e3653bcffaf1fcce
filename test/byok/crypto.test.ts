import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSecret, sealSecret, secretPreview } from '../../src/keys/crypto.ts';
import { loadMasterKey } from '../../src/keys/master-key.ts';
import { parseAwsCredentials, signAwsRequest } from '../../src/keys/sigv4.ts';

const KEY = Buffer.alloc(32, 7);

describe('sealing stored secrets (AES-256-GCM)', () => {
  it('round-trips, with a fresh IV each time', () => {
    const a = sealSecret(KEY, 'sk-secret', 'row-1');
    const b = sealSecret(KEY, 'sk-secret', 'row-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk-secret');
    expect(openSecret(KEY, a, 'row-1')).toBe('sk-secret');
    expect(openSecret(KEY, b, 'row-1')).toBe('sk-secret');
  });

  it('refuses another key, another row, and any tampering, without saying more', () => {
    const sealed = sealSecret(KEY, 'sk-secret', 'row-1');
    expect(() => openSecret(Buffer.alloc(32, 8), sealed, 'row-1')).toThrow(/could not be decrypted/);
    expect(() => openSecret(KEY, sealed, 'row-2')).toThrow(/could not be decrypted/);
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[2]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    parts[2] = flipped.toString('base64url');
    expect(() => openSecret(KEY, parts.join('.'), 'row-1')).toThrow(/could not be decrypted/);
    expect(() => openSecret(KEY, 'garbage', 'row-1')).toThrow(/could not be decrypted/);
  });

  it('previews show the ends, never the middle', () => {
    expect(secretPreview('sk-proj-abcdefghijklmnopqrstuvwxyz1234')).toBe('sk-…1234');
    expect(secretPreview('short-key')).toBe('****ey');
  });
});

describe('master key', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'gatehouse-mk-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('takes GATEHOUSE_SECRET_KEY as hex or base64, and names the format otherwise', () => {
    expect(loadMasterKey({ env: 'ab'.repeat(32), dataDir: tmp() })).toMatchObject({ source: 'env' });
    expect(loadMasterKey({ env: Buffer.alloc(32, 1).toString('base64'), dataDir: tmp() }).key).toEqual(
      Buffer.alloc(32, 1),
    );
    expect(() => loadMasterKey({ env: 'too-short-secret', dataDir: tmp() })).toThrow(
      /GATEHOUSE_SECRET_KEY must be 32 bytes as 64 hexadecimal characters or 44 base64 characters/,
    );
    try {
      loadMasterKey({ env: 'too-short-secret', dataDir: tmp() });
    } catch (err) {
      expect((err as Error).message).not.toContain('too-short-secret');
    }
  });

  it('generates a 0600 key file on first start and reuses it', () => {
    const dir = join(tmp(), 'data');
    const first = loadMasterKey({ env: undefined, dataDir: dir });
    expect(first.source).toBe('generated');
    expect(statSync(join(dir, 'secret-key')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const second = loadMasterKey({ env: undefined, dataDir: dir });
    expect(second.source).toBe('file');
    expect(second.key).toEqual(first.key);
    expect(readFileSync(join(dir, 'secret-key'), 'utf8').trim()).toBe(first.key.toString('base64'));
  });

  it('refuses a key file others can read', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'secret-key'), Buffer.alloc(32, 2).toString('base64'), { mode: 0o644 });
    expect(() => loadMasterKey({ env: undefined, dataDir: dir })).toThrow(/chmod 600/);
  });
});

describe('SigV4', () => {
  const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const now = new Date('2015-08-30T12:36:00Z');

  it('AWS test suite get-vanilla', () => {
    const signed = signAwsRequest(
      { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {}, body: '' },
      creds,
      { region: 'us-east-1', service: 'service', now, contentSha256Header: false },
    );
    expect(signed['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(signed['x-amz-date']).toBe('20150830T123600Z');
  });

  it('the IAM ListUsers example of the AWS documentation', () => {
    const signed = signAwsRequest(
      {
        method: 'GET',
        url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: '',
      },
      creds,
      { region: 'us-east-1', service: 'iam', now, contentSha256Header: false },
    );
    expect(signed['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it('signs a session token and the payload hash, and a Bedrock path twice-encoded', () => {
    const signed = signAwsRequest(
      {
        method: 'POST',
        url: new URL(
          'https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/converse',
        ),
        headers: { 'content-type': 'application/json' },
        body: '{}',
      },
      { ...creds, sessionToken: 'session-token' },
      { region: 'us-east-1', service: 'bedrock', now },
    );
    expect(signed['x-amz-security-token']).toBe('session-token');
    expect(signed['x-amz-content-sha256']).toBe(
      '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
    expect(signed['authorization']).toMatch(
      /SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
  });

  it('parses stored AWS credentials and names bad fields without echoing them', () => {
    expect(parseAwsCredentials(JSON.stringify({ ...creds, region: 'eu-west-3' }))).toMatchObject({
      region: 'eu-west-3',
    });
    expect(() => parseAwsCredentials('AKID:secret')).toThrow(/must be JSON/);
    let message = '';
    try {
      parseAwsCredentials(JSON.stringify({ accessKeyId: 'lower-case-id', secretAccessKey: 'x' }));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/accessKeyId/);
    expect(message).toMatch(/secretAccessKey/);
    expect(message).not.toContain('lower-case-id');
  });
});
