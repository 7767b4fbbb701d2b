import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedactor, environmentSecrets, googleCredentialSecrets, knownSecrets, looksSecret } from '../../src/settings/known-secrets.js';
import { readSettings } from '../../src/settings/settings.js';

describe('known secrets', () => {
  it.each([
    ['AWS_SECRET_ACCESS_KEY', true],
    ['AWS_SESSION_TOKEN', true],
    ['HF_TOKEN', true],
    ['DB_PASSWORD', true],
    ['OPENAI_API_KEY', true],
    ['AZURE_CLIENT_SECRET', true],
    ['GOOGLE_APPLICATION_CREDENTIALS', false],
    ['AWS_ACCESS_KEY_ID', false],
    ['GIT_AUTHOR_NAME', false],
    ['SSH_KEY_PATH', false],
    ['ACTIONS_ID_TOKEN_REQUEST_URL', false],
    ['ACTIONS_ID_TOKEN_REQUEST_TOKEN', true],
    ['HOME', false],
  ])('looksSecret(%s) = %s', (name, expected) => expect(looksSecret(name)).toBe(expected));

  it('takes the values of secret-looking job variables, not short switches nor the inputs', () => {
    expect(
      environmentSecrets({ AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG', USE_API_KEY: 'true', INPUT_ANTHROPIC_API_KEY: 'sk-input-value', PATH: '/usr/bin:/bin:/usr/local/bin' }),
    ).toEqual(['wJalrXUtnFEMI/K7MDENG']);
  });

  it("reads a Google credentials file's secret fields, decoded and as the file spells them", () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n';
    const text = JSON.stringify({ type: 'service_account', private_key_id: 'abcdef0123456789', private_key: key, client_email: 'a@b.iam' });
    const secrets = googleCredentialSecrets(text);
    expect(secrets).toEqual(expect.arrayContaining([text, key, JSON.stringify(key).slice(1, -1), 'abcdef0123456789', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7']));
    expect(secrets).not.toContain('a@b.iam');
  });

  it('joins inputs, secret_values and the environment, longest first', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'known-secrets-'));
    const credentials = path.join(dir, 'google.json');
    writeFileSync(credentials, JSON.stringify({ client_secret: 'google-client-secret' }));
    const settings = readSettings((name) => ({ prompt: 'x', anthropic_api_key: 'sk-ant-input', secret_values: 'from-secret-values' })[name as string], { baseDir: dir, tempDir: dir });
    const secrets = knownSecrets(settings, { AWS_SECRET_ACCESS_KEY: 'aws-secret-value-1', GOOGLE_APPLICATION_CREDENTIALS: credentials });
    expect(secrets).toEqual(expect.arrayContaining(['sk-ant-input', 'from-secret-values', 'aws-secret-value-1', 'google-client-secret']));
    expect(secrets.map((value) => value.length)).toEqual([...secrets.map((value) => value.length)].sort((a, b) => b - a));
  });

  it('redacts every secret, also inside JSON strings', () => {
    const redact = createRedactor(['sk-ant-1234', 'pa"ss\nword']);
    expect(redact('key sk-ant-1234 and sk-ant-1234')).toBe('key *** and ***');
    expect(redact(JSON.stringify({ text: 'the password is pa"ss\nword' }))).toBe('{"text":"the password is ***"}');
    expect(createRedactor([])('unchanged')).toBe('unchanged');
  });
});
