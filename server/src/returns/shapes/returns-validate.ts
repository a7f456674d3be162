// The rules of RETURN_SHAPES, twice: as the returns database's validate_doc_update (source text
// that runs inside CouchDB or express-pouchdb on every write a user makes) and as a TypeScript
// function for the server's own checks (the broker's returns gate, the returns integrator). The
// two must agree on every document: tests/unit/server/returns-validate.test.ts runs the source
// text beside the function over the same cases, and the messages are the same.
import type { FieldSpec, ReturnShape } from './return-shapes.js';
import { ALLOWED_SPECIAL_FIELDS, RETURN_SHAPES, TIMESTAMP_PATTERN } from './return-shapes.js';

export type ReturnShapes = Readonly<Record<string, ReturnShape>>;

/**
 * The validate_doc_update source for a table of shapes. Old JavaScript (ES5) on purpose:
 * CouchDB's JavaScript engines (SpiderMonkey of several ages, QuickJS) all accept it. The table
 * is inlined as JSON, so the function carries its own rules.
 */
export function returnsValidateSource(shapes: ReturnShapes): string {
  return `function (newDoc, oldDoc, userCtx) {
  if (userCtx.roles.indexOf('_admin') !== -1) return;
  var shapes = ${JSON.stringify(shapes)};
  var types = ${JSON.stringify(Object.keys(shapes))};
  var special = ${JSON.stringify(ALLOWED_SPECIAL_FIELDS)};
  var timestamp = new RegExp(${JSON.stringify(TIMESTAMP_PATTERN)});
  function refuse(message) { throw({ forbidden: message }); }
  function own(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }
  function utf8Length(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
    }
    return n;
  }
  if (newDoc._deleted) refuse('Returns cannot be deleted.');
  if (own(newDoc, '_attachments')) refuse('Returns carry no attachments.');
  if (typeof newDoc.type !== 'string' || !own(shapes, newDoc.type)) refuse('Only these document types may be written here: ' + types.join(', ') + '.');
  var shape = shapes[newDoc.type];
  if (newDoc.author !== userCtx.name) refuse('The author must be the signed-in user.');
  if (oldDoc && oldDoc.author !== userCtx.name) refuse('Only the author may change this document.');
  if (typeof newDoc._id !== 'string' || !new RegExp(shape.idPattern).test(newDoc._id)) refuse('The id of a ' + newDoc.type + ' must look like ' + shape.idExample + '.');
  var sized = {};
  for (var key in newDoc) {
    if (!own(newDoc, key)) continue;
    if (key.charAt(0) === '_') {
      if (special.indexOf(key) === -1) refuse('Field ' + key + ' is not allowed.');
    } else if (!own(shape.fields, key)) {
      refuse('Unknown field ' + key + ' in a ' + newDoc.type + '.');
    }
    if (key !== '_rev' && key !== '_revisions') sized[key] = newDoc[key];
  }
  for (var name in shape.fields) {
    if (!own(shape.fields, name)) continue;
    var spec = shape.fields[name];
    var value = newDoc[name];
    if (value === undefined) {
      if (spec.optional) continue;
      refuse(name + ' is required.');
    }
    if (spec.kind === 'literal') {
      if (value !== spec.value) refuse(name + ' must be ' + JSON.stringify(spec.value) + '.');
    } else if (spec.kind === 'string') {
      if (typeof value !== 'string' || value.length < spec.minLength || value.length > spec.maxLength) refuse(name + ' must be text of ' + spec.minLength + ' to ' + spec.maxLength + ' characters.');
      if (spec.pattern && !new RegExp(spec.pattern).test(value)) refuse(name + ' holds characters that are not allowed.');
    } else if (spec.kind === 'integer') {
      if (typeof value !== 'number' || value % 1 !== 0 || value < spec.min || value > spec.max) refuse(name + ' must be a whole number from ' + spec.min + ' to ' + spec.max + '.');
    } else if (spec.kind === 'timestamp') {
      if (typeof value !== 'string' || !timestamp.test(value) || isNaN(Date.parse(value))) refuse(name + ' must be a UTC time such as 2026-01-31T09:30:00.000Z.');
    } else if (spec.kind === 'author') {
      if (value !== userCtx.name) refuse(name + ' must be the signed-in user.');
    } else if (spec.kind === 'prefixed') {
      if (typeof value !== 'string' || value !== spec.prefix + newDoc[spec.field]) refuse(name + ' must be ' + JSON.stringify(spec.prefix) + ' followed by ' + spec.field + '.');
    } else {
      refuse(name + ' has no known rule.');
    }
  }
  var bytes = utf8Length(JSON.stringify(sized));
  if (bytes > shape.maxBytes) refuse('A ' + newDoc.type + ' may hold at most ' + shape.maxBytes + ' bytes; this one holds ' + bytes + '.');
}`;
}

/** What every returns database enforces (user-dbs.ts installs it and replaces older ones). */
export const RETURNS_VALIDATE = returnsValidateSource(RETURN_SHAPES);

const own = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
const timestamp = new RegExp(TIMESTAMP_PATTERN);
const compiled = new Map<string, RegExp>();
/** The table's patterns, compiled once (the broker checks every return it forwards). */
function regex(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    re = new RegExp(source);
    compiled.set(source, re);
  }
  return re;
}

function fieldProblem(
  name: string,
  spec: FieldSpec,
  value: unknown,
  doc: Readonly<Record<string, unknown>>,
  user: string,
): string | null {
  switch (spec.kind) {
    case 'literal':
      return value === spec.value ? null : `${name} must be ${JSON.stringify(spec.value)}.`;
    case 'string':
      if (
        typeof value !== 'string' ||
        value.length < spec.minLength ||
        value.length > spec.maxLength
      ) {
        return `${name} must be text of ${spec.minLength} to ${spec.maxLength} characters.`;
      }
      return spec.pattern && !regex(spec.pattern).test(value)
        ? `${name} holds characters that are not allowed.`
        : null;
    case 'integer':
      return typeof value === 'number' &&
        Number.isInteger(value) &&
        value >= spec.min &&
        value <= spec.max
        ? null
        : `${name} must be a whole number from ${spec.min} to ${spec.max}.`;
    case 'timestamp':
      return typeof value === 'string' && timestamp.test(value) && !isNaN(Date.parse(value))
        ? null
        : `${name} must be a UTC time such as 2026-01-31T09:30:00.000Z.`;
    case 'author':
      return value === user ? null : `${name} must be the signed-in user.`;
    case 'prefixed':
      return typeof value === 'string' && value === `${spec.prefix}${String(doc[spec.field])}`
        ? null
        : `${name} must be ${JSON.stringify(spec.prefix)} followed by ${spec.field}.`;
  }
}

/**
 * Why `doc` may not stand in `user`'s returns database, or null when it may. The same verdict
 * (and message) as RETURNS_VALIDATE for a write by `user`, without the rule about changing
 * another author's document (there is no previous version here).
 */
export function returnProblem(
  doc: Readonly<Record<string, unknown>>,
  user: string,
  shapes: ReturnShapes = RETURN_SHAPES,
): string | null {
  if (doc['_deleted']) return 'Returns cannot be deleted.';
  if (own(doc, '_attachments')) return 'Returns carry no attachments.';
  const type = doc['type'];
  const shape = typeof type === 'string' && own(shapes, type) ? shapes[type] : undefined;
  if (typeof type !== 'string' || !shape) {
    return `Only these document types may be written here: ${Object.keys(shapes).join(', ')}.`;
  }
  if (doc['author'] !== user) return 'The author must be the signed-in user.';
  const id = doc['_id'];
  if (typeof id !== 'string' || !regex(shape.idPattern).test(id)) {
    return `The id of a ${type} must look like ${shape.idExample}.`;
  }
  const sized: Record<string, unknown> = {};
  for (const key of Object.keys(doc)) {
    if (key.startsWith('_')) {
      if (!(ALLOWED_SPECIAL_FIELDS as readonly string[]).includes(key)) {
        return `Field ${key} is not allowed.`;
      }
    } else if (!own(shape.fields, key)) {
      return `Unknown field ${key} in a ${type}.`;
    }
    if (key !== '_rev' && key !== '_revisions') sized[key] = doc[key];
  }
  for (const [name, spec] of Object.entries(shape.fields)) {
    const value = doc[name];
    if (value === undefined) {
      if (spec.optional) continue;
      return `${name} is required.`;
    }
    const problem = fieldProblem(name, spec, value, doc, user);
    if (problem) return problem;
  }
  const bytes = Buffer.byteLength(JSON.stringify(sized), 'utf8');
  return bytes > shape.maxBytes
    ? `A ${type} may hold at most ${shape.maxBytes} bytes; this one holds ${bytes}.`
    : null;
}
