// Every secret value the step knows, in one place: masked in the log, redacted in the execution
// file and the log, and looked for in every byte a checkpoint stores.
import { readFileSync } from 'node:fs';
import { secretValues, type Settings } from './settings.js';

/** Names of environment variables whose values are treated as secrets. */
const SECRET_NAME = /TOKEN|SECRET|KEY|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE/i;
/** Names that match the pattern above but hold no secret (paths, switches, key ids shown in consoles). */
const NOT_SECRET = new Set(['GOOGLE_APPLICATION_CREDENTIALS', 'SSH_AUTH_SOCK']);
/**
 * Shorter values of secret-looking variables (`USE_API_KEY=true`, `TOKEN_TTL=3600`) are too common
 * to look for: they would make every checkpoint refuse its files.
 */
const MIN_ENV_SECRET_LENGTH = 8;
/** Fields of a Google credentials file that are secrets on their own. */
const GOOGLE_SECRET_FIELDS = ['private_key', 'private_key_id', 'client_secret', 'refresh_token'] as const;

/** Names that say they hold where or which secret, not the secret itself (`SSH_KEY_PATH`, `KMS_KEY_ID`, `ACTIONS_ID_TOKEN_REQUEST_URL`). */
const REFERENCE_SUFFIX = /_(?:PATH|FILE|DIR|ID|URL|NAME|TYPE|REGION)$/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.has(name.toUpperCase()) && !REFERENCE_SUFFIX.test(name);
}

/** Values of the environment's secret-looking variables (`*TOKEN*`, `*SECRET*`, `*KEY*`, `*PASSWORD*`, cloud credentials). */
export function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name.startsWith('INPUT_') || !looksSecret(name)) continue;
    const trimmed = value.trim();
    if (trimmed.length >= MIN_ENV_SECRET_LENGTH) values.push(trimmed);
  }
  return values;
}

/**
 * The secrets in a Google service-account or user credentials file: the whole text and each secret
 * field, both as the file spells it (JSON-escaped) and decoded, since an agent may copy either.
 */
export function googleCredentialSecrets(text: string): string[] {
  const values: string[] = [];
  if (text.trim().length >= MIN_ENV_SECRET_LENGTH) values.push(text.trim());
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return values;
  }
  if (typeof parsed !== 'object' || parsed === null) return values;
  for (const field of GOOGLE_SECRET_FIELDS) {
    const value: unknown = (parsed as Record<string, unknown>)[field];
    if (typeof value !== 'string' || value.length < MIN_ENV_SECRET_LENGTH) continue;
    values.push(value, JSON.stringify(value).slice(1, -1));
    // A PEM key is also recognisable by its body alone (headers stripped, lines joined or not).
    for (const line of value.split('\n')) if (line.length >= 40 && !line.startsWith('-----')) values.push(line);
  }
  return values;
}

function readCredentialsFile(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Every secret the step knows: the secret inputs, `secret_values`, and the job environment's
 * secret-looking variables, with GOOGLE_APPLICATION_CREDENTIALS read for its contents. Distinct,
 * longest first, so a redactor replaces a secret before any shorter one inside it.
 */
export function knownSecrets(settings: Settings, env: NodeJS.ProcessEnv): string[] {
  const google = readCredentialsFile(env.GOOGLE_APPLICATION_CREDENTIALS);
  const all = [...secretValues(settings), ...environmentSecrets(env), ...(google === undefined ? [] : googleCredentialSecrets(google))];
  return [...new Set(all.filter((value) => value.length > 0))].sort((a, b) => b.length - a.length);
}

export const REDACTED = '***';

/** Replaces known secrets in a text; `needles` are what it looks for, so bytes can be checked first. */
export type Redactor = ((text: string) => string) & { readonly needles: readonly string[] };

/**
 * Replaces every known secret in a text with `***`, also as it appears inside a JSON string (the
 * execution file's lines); the identity when there are none.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const spelled = secrets.filter((value) => value.length > 0).flatMap((value) => [value, JSON.stringify(value).slice(1, -1)]);
  const needles = [...new Set(spelled)].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return Object.assign((text: string) => text, { needles });
  const redact = (text: string): string => {
    let result = text;
    for (const needle of needles) if (result.includes(needle)) result = result.replaceAll(needle, REDACTED);
    return result;
  };
  return Object.assign(redact, { needles });
}
