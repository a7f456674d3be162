// How the broker judges one query parameter's value. Each rule says why a value is refused (for
// the audit trail) and carries sample values, valid and invalid, so that the attack battery and
// the fuzz test exercise every parameter of the allow-list without a second list to keep in step.
// Values are judged after percent-decoding; the broker then forwards them re-encoded, so CouchDB
// sees exactly what was judged.

export type ParamRule = {
  /** Null when the value may pass, otherwise why not (audit trail only). */
  readonly check: (value: string) => string | null;
  readonly samples: { readonly valid: readonly string[]; readonly invalid: readonly string[] };
};

/** A revision id as CouchDB and PouchDB write them: generation, dash, 32 hex digits (md5). */
export const REV_PATTERN = /^[1-9][0-9]{0,9}-[0-9a-f]{32}$/;
/** A revision id that exists nowhere; valid in shape (used as a sample). */
export const SAMPLE_REV = `1-${'0'.repeat(32)}`;

/** Longest document key accepted in `_all_docs` key parameters (JSON string, quotes included). */
const DOC_KEY_MAX = 1024;
/** Longest sequence accepted: CouchDB 3 sequences are opaque, a few hundred characters on q>1. */
const SEQUENCE_MAX = 4096;

export function booleanParam(): ParamRule {
  return {
    check: (value) => (value === 'true' || value === 'false' ? null : 'not true or false'),
    samples: { valid: ['true', 'false'], invalid: ['TRUE', '1', 'yes', '', 'true '] },
  };
}

/** A flag whose only meaning here is on: the broker may also set it itself. */
export function trueParam(): ParamRule {
  return {
    check: (value) => (value === 'true' ? null : 'only true is accepted'),
    samples: { valid: ['true'], invalid: ['false', '1', ''] },
  };
}

export function integerParam(min: number, max: number): ParamRule {
  return {
    check: (value) => {
      if (!/^(0|[1-9][0-9]{0,8})$/.test(value)) return 'not a plain decimal integer';
      const n = Number(value);
      return n < min || n > max ? `outside ${min}..${max}` : null;
    },
    samples: {
      valid: [String(min), String(max)],
      invalid: [
        String(max + 1),
        '-1',
        '1.5',
        '+1',
        '1e3',
        '0x10',
        ' 1',
        '',
        '99999999999999999999',
      ],
    },
  };
}

export function oneOfParam(...values: readonly [string, ...string[]]): ParamRule {
  return {
    check: (value) => (values.includes(value) ? null : `not one of ${values.join(', ')}`),
    samples: { valid: values, invalid: ['x', values[0].toUpperCase(), '', `${values[0]},x`] },
  };
}

/**
 * A changes-feed position: `now`, an integer (express-pouchdb), or CouchDB's opaque sequence
 * (`12-g1AAAA…`, base64url after the dash), bare or JSON-quoted as CouchDB's replicator sends it.
 */
export function sequenceParam(): ParamRule {
  const opaque = /^[0-9]{1,16}(-[A-Za-z0-9_-]+)?$/;
  return {
    check: (value) => {
      if (value.length > SEQUENCE_MAX) return 'sequence too long';
      if (value === 'now') return null;
      const bare = /^".*"$/.test(value) ? value.slice(1, -1) : value;
      return opaque.test(bare) ? null : 'not a sequence';
    },
    samples: {
      valid: ['0', 'now', '12', '3-g1AAAAB4eJzLYWBgYMpgTmHgz8tPSTV0MDQy', '"3-g1AAAAB4eJzLYWBg"'],
      invalid: [
        '-1',
        '{}',
        '[1]',
        'now ',
        '1-',
        '"1',
        'x',
        '1.5',
        '99999999999999999999',
        `1-${'A'.repeat(SEQUENCE_MAX)}`,
      ],
    },
  };
}

export function revParam(): ParamRule {
  return {
    check: (value) => (REV_PATTERN.test(value) ? null : 'not a revision id'),
    samples: { valid: [SAMPLE_REV], invalid: ['1-abc', 'x', '', '0-' + 'a'.repeat(32), '["1-a"]'] },
  };
}

function parseRevList(value: string, max: number): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return 'not JSON';
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return 'not a non-empty array';
  if (parsed.length > max) return `more than ${max} revisions`;
  return parsed.every((rev) => typeof rev === 'string' && REV_PATTERN.test(rev))
    ? null
    : 'not an array of revision ids';
}

/** A JSON array of revision ids (`open_revs`, `atts_since`); `all` where allowed. */
export function revListParam(max: number, options: { allowAll: boolean }): ParamRule {
  return {
    check: (value) => (options.allowAll && value === 'all' ? null : parseRevList(value, max)),
    samples: {
      valid: [JSON.stringify([SAMPLE_REV]), ...(options.allowAll ? ['all'] : [])],
      invalid: [
        '[]',
        '["x"]',
        JSON.stringify(SAMPLE_REV),
        '[1]',
        '[',
        JSON.stringify(Array.from({ length: max + 1 }, () => SAMPLE_REV)),
        ...(options.allowAll ? ['ALL'] : ['all']),
      ],
    },
  };
}

/**
 * A document id as a JSON string (`_all_docs` keys). Exact lookups (`key`) may not name reserved
 * ids (`_design/…`, `_local/…`): devices never see those. Range bounds may: rows are filtered.
 */
export function docKeyParam(options: { allowReserved: boolean }): ParamRule {
  return {
    check: (value) => {
      if (value.length > DOC_KEY_MAX) return 'key too long';
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return 'not JSON';
      }
      if (typeof parsed !== 'string') return 'not a JSON string';
      return !options.allowReserved && parsed.startsWith('_') ? 'reserved document id' : null;
    },
    samples: {
      valid: ['"briefing:BRF-000001"', '""', ...(options.allowReserved ? ['"_design/"'] : [])],
      invalid: [
        'briefing:BRF-000001',
        '1',
        '{}',
        '["a"]',
        `"${'a'.repeat(DOC_KEY_MAX)}"`,
        ...(options.allowReserved ? [] : ['"_design/attache"', '"_local/x"']),
      ],
    },
  };
}
