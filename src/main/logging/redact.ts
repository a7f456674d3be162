// Redaction lives in the logger, not in callers: a caller that forgets is exactly the one that
// leaks a token. Keys are matched by name; strings are scrubbed of anything token-shaped.
// Personal data goes the same way: fields that name a person are hashed (so IT can still tell
// one person's records from another's by hashing the id they know), fields that could hold
// briefing content are removed, and the signed-in person's id and name are hashed wherever
// they appear in a message.
import { createHash } from 'node:crypto';

const SECRET_KEY =
  /^(authorization|access_?token|refresh_?token|id_?token|token|secret|password|key|cookie|x-attache-key|code_?verifier|client_?secret|assertion|client_?assertion)$/i;

/** Fields that name a person: their value is replaced by a short hash. */
const PERSON_KEY =
  /^(user|user_?id|users|recipient|author|account|display_?name|user_?name|preferred_username|email|upn|oid|sub|person)$/i;
/** Fields that could hold briefing content: never logged at all. */
const CONTENT_KEY = /^(title|summary|body|body_?html|content|text|html|note|annotation)$/i;

/** OAuth parameters whose values are credentials, in form bodies, query strings and JSON. */
const OAUTH_SECRET_PARAMS =
  'access_token|refresh_token|id_token|code|code_verifier|client_secret|client_assertion|assertion|password|secret';

const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // Authorization header values, wherever they appear in a message.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, '$1 [redacted]'],
  // Compact JWS/JWT: three base64url segments, the first starting with {" (eyJ).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  // The browser host's launch secret travels in URLs as `key=` (fragment or query).
  [/([#?&]key=)[^&\s"']+/gi, '$1[redacted]'],
  // Basic-auth credentials embedded in URLs.
  [/(\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1[redacted]@'],
  // Opaque refresh tokens and authorization codes are not JWT-shaped: catch them by name, as
  // `name=value` (form bodies, redirect URLs) and as `"name": "value"` (token responses).
  [new RegExp(`(\\b(?:${OAUTH_SECRET_PARAMS})=)[^&\\s"']+`, 'gi'), '$1[redacted]'],
  [new RegExp(`("(?:${OAUTH_SECRET_PARAMS})"\\s*:\\s*")[^"]*`, 'gi'), '$1[redacted]'],
];

/**
 * Exact secret values the device holds right now (the sign-in capability registers the tokens
 * of its cache). Shape-based patterns cannot recognise an opaque token that appears on its own;
 * these are scrubbed wherever they appear. Bounded, oldest first out.
 */
const knownSecrets = new Set<string>();
const MAX_KNOWN_SECRETS = 32;
/** Shorter values would scrub ordinary words; every real token is far longer. */
const MIN_SECRET_LENGTH = 16;

export function registerSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH || knownSecrets.has(value)) return;
  knownSecrets.add(value);
  if (knownSecrets.size > MAX_KNOWN_SECRETS) {
    const oldest = knownSecrets.values().next().value;
    if (oldest !== undefined) knownSecrets.delete(oldest);
  }
}

/** After sign-out nothing is left to protect, and nothing stale should keep matching. */
export function forgetSecrets(): void {
  knownSecrets.clear();
}

/** `[person:1a2b3c4d5e6f]`: the same person always gives the same mark. */
export function personMark(value: string): string {
  return `[person:${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 12)}]`;
}

/** The signed-in person's id and name, hashed wherever they appear in a message. */
const knownPeople = new Map<string, string>();
/** A one-letter name would scrub ordinary words. */
const MIN_PERSONAL_LENGTH = 3;

export function registerPersonalData(value: string): void {
  const text = value.trim();
  if (text.length < MIN_PERSONAL_LENGTH || knownPeople.has(text)) return;
  knownPeople.set(text, personMark(text));
  if (knownPeople.size > MAX_KNOWN_SECRETS) {
    const oldest = knownPeople.keys().next().value;
    if (oldest !== undefined) knownPeople.delete(oldest);
  }
}

export function redactString(value: string): string {
  let out = value;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted-secret]');
  }
  // Longest first, so that a name containing the id (or the reverse) is replaced whole.
  for (const [person, mark] of [...knownPeople].sort((a, b) => b[0].length - a[0].length)) {
    if (out.includes(person)) out = out.split(person).join(mark);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Returns a copy of `value` safe to write to a log: secrets by key name and by shape. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[truncated]';
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactString(value.message),
      ...(value.stack === undefined ? {} : { stack: redactString(value.stack) }),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) out[key] = item;
    else if (SECRET_KEY.test(key)) out[key] = '[redacted]';
    else if (CONTENT_KEY.test(key)) out[key] = '[removed]';
    else if (PERSON_KEY.test(key)) out[key] = redactPerson(item);
    else out[key] = redact(item, depth + 1);
  }
  return out;
}

function redactPerson(value: unknown): unknown {
  if (typeof value === 'string') return personMark(value);
  if (Array.isArray(value)) return value.map(redactPerson);
  return '[removed]';
}
