// Redaction lives in the logger, not in callers: a caller that forgets is exactly the one that
// leaks a token. Keys are matched by name; strings are scrubbed of anything token-shaped.

const SECRET_KEY =
  /^(authorization|access_?token|refresh_?token|id_?token|token|secret|password|key|cookie|x-attache-key)$/i;

const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // Authorization header values, wherever they appear in a message.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, '$1 [redacted]'],
  // Compact JWS/JWT: three base64url segments, the first starting with {" (eyJ).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  // The browser host's launch secret travels in URLs as `key=` (fragment or query).
  [/([#?&]key=)[^&\s"']+/gi, '$1[redacted]'],
  // Basic-auth credentials embedded in URLs.
  [/(\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1[redacted]@'],
];

export function redactString(value: string): string {
  let out = value;
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
    out[key] =
      SECRET_KEY.test(key) && item !== null && item !== undefined
        ? '[redacted]'
        : redact(item, depth + 1);
  }
  return out;
}
