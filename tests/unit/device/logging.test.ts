import { describe, expect, it } from 'vitest';
import {
  forgetSecrets,
  personMark,
  redact,
  redactString,
  registerSecret,
} from '../../../src/main/logging/redact.js';
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
      nested: { Authorization: '[redacted]', password: '[redacted]', user: personMark('alex') },
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

  it('removes opaque refresh tokens and authorization codes by their parameter name', () => {
    const refresh = 'Zk3q-9vTn_2LwQpXr8sYb1uHc5eJdA7mGf0oKi4zRtU';
    const body = `grant_type=refresh_token&refresh_token=${refresh}&client_id=attache-reader`;
    expect(redactString(body)).toBe(
      'grant_type=refresh_token&refresh_token=[redacted]&client_id=attache-reader',
    );
    expect(redactString(`http://localhost:5123/?code=${refresh}&state=s`)).not.toContain(refresh);
    expect(redactString(`{"refresh_token": "${refresh}", "expires_in": 600}`)).not.toContain(
      refresh,
    );
    expect(redactString(`"secret":"${refresh}"`)).not.toContain(refresh);
    // Error codes are not secrets.
    expect(redact({ code: 'ECONNREFUSED' })).toEqual({ code: 'ECONNREFUSED' });
  });

  it('removes registered secret values wherever they appear, until they are forgotten', () => {
    const opaque = 'opaque-token-value-without-any-shape-0123456789';
    registerSecret(opaque);
    registerSecret('short');
    const { logger, records } = memoryLogger();
    logger.info(`renewed: ${opaque}`, { detail: `x${opaque}y`, word: 'short' });
    const text = JSON.stringify(records);
    expect(text).not.toContain(opaque);
    expect(text).toContain('short');
    forgetSecrets();
    expect(redactString(opaque)).toBe(opaque);
  });
});
