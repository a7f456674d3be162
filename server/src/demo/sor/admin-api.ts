// HTTP admin API of the demo SOR (JSON, bearer admin token): create, update (new version),
// share, unshare, list and get briefings; list the users it knows. Input is validated with zod; a bad request gets a 400
// that names each problem.
// The same server also answers the SOR contract (/sor/v1/..., sor-api.ts) with the same token.
// Every administrator's request is audited (`sor-admin.request`: a change before it is
// acknowledged), and so is every refusal; the pipeline's own reads of the SOR contract are not
// (the fan-out reads it constantly, and records what it did with them). Requests naming a host
// other than an address, localhost or a configured name are refused (DNS rebinding).
import { annotationsOf } from './annotations-view.js';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Classification } from '../../../../src/shared/briefing.js';
import { CLASSIFICATIONS, PRIORITIES } from '../../../../src/shared/briefing.js';
import type { HostCheck } from '../../http/host-check.js';
import { createHostCheck } from '../../http/host-check.js';
import { HttpError, errorAnswer } from '../../http/error-answer.js';
import { readJsonBody, sendJson } from '../../http/json-http.js';
import { userIdProblem } from '../../user-dbs/user-dbs.js';
import type { AdminAudit } from '../../audit/admin-audit.js';
import { createLogger, describeError } from '../../observability/logger.js';
import { hasAdminToken } from '../../http/admin-token.js';
import { aboveCeiling } from '../../fanout/batch-reconciler.js';
import {
  attachmentNameSchema,
  contentTypeSchema,
  editableBodySchema,
  senderSchema,
  sorBriefingContentSchema,
} from '../../sor/briefing-content.js';
import type { AttachmentInput, DemoSor } from './demo-sor.sqlite.js';
import { handleSorApi } from './sor-api.js';
import { SOR_API_PREFIX } from '../../sor/sor-contract.js';

const log = createLogger('sor-admin');

export const ADMIN_API_PREFIX = '/admin';
const BODY_LIMIT = 80 * 1024 * 1024; // attachments travel base64-encoded
export const DEFAULT_SENDER = {
  name: 'Ministerial Briefing Unit',
  role: 'Department of the Prime Minister and Cabinet',
};

const userIdSchema = z.string().superRefine((id, ctx) => {
  const problem = userIdProblem(id);
  if (problem)
    ctx.addIssue({ code: 'custom', message: `user id ${JSON.stringify(id)} ${problem}` });
});

const attachmentInputSchema = z.object({
  name: attachmentNameSchema,
  contentType: contentTypeSchema,
  dataBase64: z.base64({ error: 'expected base64 data' }),
});

const editableFields = {
  title: z.string().trim().min(1).max(500),
  summary: z.string().max(5_000),
  bodyHtml: editableBodySchema,
  classification: z.enum(CLASSIFICATIONS),
  priority: z.enum(PRIORITIES),
  sender: senderSchema,
  attachments: z.array(attachmentInputSchema).max(20),
};

export const createBriefingSchema = z
  .object({
    ...editableFields,
    summary: editableFields.summary.default(''),
    sender: editableFields.sender.default(DEFAULT_SENDER),
    attachments: editableFields.attachments.default([]),
    recipients: z.array(userIdSchema).max(1000).default([]),
  })
  .strict();

export const updateBriefingSchema = z
  .object({
    title: editableFields.title.optional(),
    summary: editableFields.summary.optional(),
    bodyHtml: editableFields.bodyHtml.optional(),
    classification: editableFields.classification.optional(),
    priority: editableFields.priority.optional(),
    sender: editableFields.sender.optional(),
    attachments: editableFields.attachments.optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { error: 'nothing to update' });

const usersSchema = z.object({ users: z.array(userIdSchema).min(1).max(1000) }).strict();

/** Stores a record as is: for exercising the pipeline's handling of malformed SOR data. */
const rawRecordSchema = z
  .object({
    content: z.unknown(),
    recipients: z.array(z.string()).max(1000).default([]),
    attachments: z
      .array(z.object({ name: z.string(), contentType: z.string(), dataBase64: z.base64() }))
      .default([]),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    );
    throw new HttpError(400, 'bad_request', 'The request body is invalid.', { problems });
  }
  return result.data;
}

function toAttachments(
  items: readonly { name: string; contentType: string; dataBase64: string }[],
): AttachmentInput[] {
  return items.map((a) => {
    const buf = Buffer.from(a.dataBase64, 'base64');
    return {
      name: a.name,
      contentType: a.contentType,
      data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
    };
  });
}

function notFound(id: string): HttpError {
  return new HttpError(404, 'not_found', `No briefing ${JSON.stringify(id)}.`);
}

export function createSorAdminServer(deps: {
  sor: DemoSor;
  adminToken: string;
  /** Records what administrators did and every refusal; the server wires it. */
  audit?: AdminAudit;
  /** Which Host headers it answers; default: addresses and localhost. */
  hostCheck?: HostCheck;
  now?: () => Date;
  /** The fan-out's organisation-wide ceiling: sharing above it is answered with a warning. */
  classificationCeiling?: Classification;
}): http.Server {
  const { sor } = deps;
  const now = deps.now ?? (() => new Date());
  /** Said to whoever shares a briefing that Attaché will not deliver. */
  const ceilingWarnings = (content: unknown, recipients: number): string[] => {
    const ceiling = deps.classificationCeiling;
    const marking =
      typeof content === 'object' && content !== null && 'classification' in content
        ? String(content.classification)
        : null;
    if (!ceiling || marking === null || recipients === 0 || !aboveCeiling(marking, ceiling)) {
      return [];
    }
    return [
      `This briefing is marked ${marking}, above the organisation's ceiling for devices (${ceiling}): Attaché will not deliver it to anyone, and the SOR receives a delivery notice saying so.`,
    ];
  };
  const hostAllowed = deps.hostCheck ?? createHostCheck([]);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host)) {
      throw new HttpError(
        403,
        'forbidden',
        'This server answers only requests addressed to it by IP address or localhost.',
      );
    }
    const url = new URL(req.url ?? '/', 'http://sor.invalid');
    const method = req.method ?? 'GET';
    const contract = url.pathname.startsWith(`${SOR_API_PREFIX}/`);
    if (!contract && !url.pathname.startsWith(`${ADMIN_API_PREFIX}/`))
      throw new HttpError(404, 'not_found', `No route ${method} ${url.pathname}.`);
    if (!hasAdminToken(req, deps.adminToken)) {
      throw new HttpError(
        401,
        'unauthorized',
        'Send the admin token as Authorization: Bearer <token>.',
      );
    }
    if (contract) {
      await handleSorApi(sor, req, res, url);
      return;
    }
    let parts: string[];
    try {
      parts = url.pathname
        .slice(ADMIN_API_PREFIX.length + 1)
        .split('/')
        .map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'bad_request', 'Malformed percent-encoding in the path.');
    }
    const [collection, id, action] = parts;
    /** Answers an administrator's request, recorded first: a change is on the trail before anyone hears of it. */
    const done = (
      status: number,
      body: unknown,
      reason: string,
      detail: Record<string, unknown> = {},
    ): void => {
      deps.audit?.allowed(req, reason, detail, status);
      sendJson(res, status, body);
    };

    if (collection === 'briefings' && id === undefined) {
      if (method === 'GET') return done(200, { briefings: sor.list() }, 'briefings listed');
      if (method === 'POST') {
        const input = parse(createBriefingSchema, await readJsonBody(req, BODY_LIMIT));
        const at = now().toISOString();
        const created = sor.create({
          content: {
            title: input.title,
            summary: input.summary,
            bodyHtml: input.bodyHtml,
            classification: input.classification,
            priority: input.priority,
            sender: input.sender,
            createdAt: at,
            updatedAt: at,
          },
          attachments: toAttachments(input.attachments),
          recipients: input.recipients,
        });
        log.info({ sorId: created.sorId, recipients: input.recipients.length }, 'briefing created');
        const warnings = ceilingWarnings(input, input.recipients.length);
        return done(
          201,
          warnings.length > 0 ? { ...created, warnings } : created,
          'briefing created',
          { sorId: created.sorId, recipients: input.recipients },
        );
      }
    }
    if (collection === 'briefings' && id !== undefined && action === undefined) {
      if (method === 'GET') {
        const detail = sor.get(id);
        if (!detail) throw notFound(id);
        return done(200, detail, 'briefing read', { sorId: id });
      }
      if (method === 'PATCH') {
        const patch = parse(updateBriefingSchema, await readJsonBody(req, BODY_LIMIT));
        const current = sor.currentContent(id);
        if (current === undefined) throw notFound(id);
        const { attachments, ...fields } = patch;
        const merged = parse(sorBriefingContentSchema, {
          ...(typeof current === 'object' && current !== null ? current : {}),
          ...fields,
          updatedAt: now().toISOString(),
        });
        const updated = sor.update(
          id,
          attachments
            ? { content: merged, attachments: toAttachments(attachments) }
            : { content: merged },
        );
        if (!updated) throw notFound(id);
        log.info({ sorId: id, version: updated.version }, 'briefing updated');
        return done(200, updated, 'briefing updated', { sorId: id, version: updated.version });
      }
    }
    if (
      collection === 'briefings' &&
      id !== undefined &&
      (action === 'share' || action === 'unshare') &&
      parts.length === 3
    ) {
      if (method === 'POST') {
        const { users } = parse(usersSchema, await readJsonBody(req, 1024 * 1024));
        if (action === 'share') {
          const result = sor.share(id, users);
          if (!result) throw notFound(id);
          log.info({ sorId: id, added: result.added.length }, 'briefing shared');
          const warnings = ceilingWarnings(sor.currentContent(id), users.length);
          return done(
            200,
            { sorId: id, ...result, ...(warnings.length > 0 ? { warnings } : {}) },
            'briefing shared',
            { sorId: id, recipients: users },
          );
        }
        const result = sor.unshare(id, users);
        if (!result) throw notFound(id);
        log.info({ sorId: id, removed: result.removed.length }, 'briefing unshared');
        return done(200, { sorId: id, ...result }, 'briefing unshared', {
          sorId: id,
          recipients: users,
        });
      }
    }
    if (
      collection === 'briefings' &&
      id !== undefined &&
      action === 'annotations' &&
      parts.length === 3 &&
      method === 'GET'
    ) {
      return done(200, annotationsOf(sor.listReturns(), id), 'annotations listed', { sorId: id });
    }
    if (collection === 'users' && id === undefined && method === 'GET') {
      return done(200, { users: sor.listUsers() }, 'users listed');
    }
    if (collection === 'returns' && id === undefined && method === 'GET') {
      return done(200, { returns: sor.listReturns() }, 'returns listed');
    }
    if (collection === 'delivery-notices' && id === undefined && method === 'GET') {
      return done(200, { notices: sor.listDeliveryNotices() }, 'delivery notices listed');
    }
    if (collection === 'records' && id === undefined && method === 'POST') {
      const input = parse(rawRecordSchema, await readJsonBody(req, BODY_LIMIT));
      const created = sor.create({
        content: input.content,
        recipients: input.recipients,
        attachments: toAttachments(input.attachments),
      });
      log.info({ sorId: created.sorId }, 'raw record stored (unvalidated)');
      return done(201, created, 'raw record stored (unvalidated)', {
        sorId: created.sorId,
        recipients: input.recipients,
      });
    }
    throw new HttpError(404, 'not_found', `No route ${method} ${url.pathname}.`);
  }

  return http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      const answer = errorAnswer(error, 'the demo SOR');
      if (!answer.expected) log.error({ err: describeError(error) }, 'admin API request failed');
      const problems = answer.body['problems'];
      deps.audit?.refused(
        req,
        answer.status,
        answer.reason,
        Array.isArray(problems) ? { problems: problems.slice(0, 20) } : {},
      );
      sendJson(res, answer.status, answer.body);
    });
  });
}
