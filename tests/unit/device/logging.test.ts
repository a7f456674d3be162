import { describe, expect, it } from 'vitest';
import { redact, redactString } from '../../../src/main/logging/redact.js';
import { memoryLogger } from './fixtures.js';

const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGV4Lm1vcmdhbiIsImV4cCI6MTc2MDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

describe('log redaction', () => {
  it('removes bearer tokens and JWTs from messages', () => {
    expect(redactString(`GET /db/briefings Authorization: Bearer ${JWT}`)).not.toContain(
      JWT.slice(20, 40),
    );
    expect(redactString(`token was ${JWT} today`)).toBe('token was [redacted-jwt] today');
    expect(redactString('Authorization: Basic YWRtaW46c2VjcmV0')).toBe(
      'Authorization: Basic [redacted]',
    );
  });

  it('removes the launch key from host URLs and credentials from URLs', () => {
    expect(redactString('open http://127.0.0.1:5100/#key=s3cr3t-value')).toBe(
      'open http://127.0.0.1:5100/#key=[redacted]',
    );
    expect(redactString('/api/events?key=abc&x=1')).toBe('/api/events?key=[redacted]&x=1');
    expect(redactString('http://admin:pw@127.0.0.1:5985/')).toBe(
      'http://[redacted]@127.0.0.1:5985/',
    );
  });

  it('removes secret fields by name, at any depth', () => {
    const out = redact({
      accessToken: 'abc',
      nested: { Authorization: 'Bearer x', password: 'p', user: 'alex' },
      list: [{ token: 't' }],
    });
    expect(out).toEqual({
      accessToken: '[redacted]',
      nested: { Authorization: '[redacted]', password: '[redacted]', user: 'alex' },
      list: [{ token: '[redacted]' }],
    });
  });

  it('scrubs errors that carry tokens in their message', () => {
    const out = redact({ error: new Error(`refused ${JWT}`) }) as { error: { message: string } };
    expect(out.error.message).toBe('refused [redacted-jwt]');
  });

  it('applies redaction in the logger, whatever the caller passes', () => {
    const { logger, records } = memoryLogger();
    logger.warn(`call failed with Bearer ${JWT}`, {
      headers: { authorization: `Bearer ${JWT}` },
      url: 'http://h/#key=zzz',
    });
    const text = JSON.stringify(records);
    expect(text).not.toContain(JWT);
    expect(text).not.toContain('zzz');
    expect(records[0]?.scope).toBe('test');
  });
});
