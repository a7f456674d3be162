import { describe, expect, it } from 'vitest';
import {
  deriveCouchPassword,
  userDbNames,
  userIdProblem,
} from '../../../server/src/user-dbs/user-dbs.js';

// CouchDB database names: a lowercase letter first, then [a-z0-9_$()+/-].
const COUCH_DB_NAME = /^[a-z][a-z0-9_$()+/-]*$/;

describe('per-user database names', () => {
  it('are the hex of the UTF-8 user id, with a fixed prefix per kind', () => {
    expect(userDbNames('alex.morgan')).toEqual({
      briefings: 'userdb-616c65782e6d6f7267616e',
      returns: 'returns-616c65782e6d6f7267616e',
    });
  });

  it('encode unicode ids byte by byte (UTF-8), so they stay valid CouchDB names', () => {
    const names = userDbNames('zoë.ñ');
    expect(names.briefings).toBe(`userdb-${Buffer.from('zoë.ñ', 'utf8').toString('hex')}`);
    expect(names.briefings).toBe('userdb-7a6fc3ab2ec3b1');
    expect(names.briefings).toMatch(COUCH_DB_NAME);
  });

  it.each(['../x', 'A/B', '..', 'userdb-x/../y', '%2e%2e', 'a b'])(
    'turn the hostile id %j into a plain hex name that cannot reach another database',
    (id) => {
      const { briefings, returns } = userDbNames(id);
      expect(briefings).toMatch(/^userdb-[0-9a-f]+$/);
      expect(returns).toMatch(/^returns-[0-9a-f]+$/);
      expect(Buffer.from(briefings.slice('userdb-'.length), 'hex').toString('utf8')).toBe(id);
    },
  );

  it('differ for ids that differ only in case (no case folding)', () => {
    expect(userDbNames('A/B').briefings).not.toBe(userDbNames('a/b').briefings);
  });
});

describe('user id rules', () => {
  it.each(['alex.morgan', '../x', 'A/B', 'zoë', 'first.last@example.gov.au'])('accept %j', (id) => {
    expect(userIdProblem(id)).toBeNull();
  });

  it.each([
    ['', 'is empty'],
    ['_admin', 'starts with "_"'],
    ['a:b', 'contains ":"'],
    ['a\nb', 'contains control characters'],
    [' alex', 'has leading or trailing spaces'],
    ['x'.repeat(101), 'is longer than 100 bytes'],
    ['\ud800x', 'is not well-formed Unicode'],
  ])('refuse %j because it %s', (id, reason) => {
    expect(userIdProblem(id)).toBe(reason);
  });
});

describe('derived CouchDB passwords', () => {
  it('are base64url(HMAC-SHA256(secret, "couchdb-password:" + user))', () => {
    // Reference value computed independently: printf 'couchdb-password:alex.morgan' |
    // openssl dgst -sha256 -hmac 'secret-1' -binary | base64 | tr '+/' '-_' | tr -d '='
    expect(deriveCouchPassword('secret-1', 'alex.morgan')).toBe(
      '_pt8HtoWgVKA-5s8XfecWJmqg5ojiejfdryTVGuQ1B4',
    );
  });

  it('differ per user and per secret', () => {
    const a = deriveCouchPassword('secret-1', 'alex.morgan');
    expect(deriveCouchPassword('secret-1', 'sam.taylor')).not.toBe(a);
    expect(deriveCouchPassword('secret-2', 'alex.morgan')).not.toBe(a);
  });
});
