// The provider's interaction routes: the sign-in page, and automatic consent for the first-party
// reader (an organisation's own app; a consent screen would only teach users to click through).
// oidc-provider binds each interaction to a cookie set on this browser, so a uid alone is useless
// to anyone else. Every sign-in attempt is audited.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { AuditLog } from '../../audit/audit-log.js';
import { createLogger, describeError } from '../../observability/logger.js';
import { authenticateDevAccount } from './dev-users.js';
import { renderLoginPage, renderMessagePage } from './login-page.js';
import { createLoginThrottle } from './login-throttle.js';
import type { LoginThrottle } from './login-throttle.js';
import type { Page } from './login-page.js';

const log = createLogger('idp');
const FORM_BODY_LIMIT = 4096;
export const INTERACTION_PREFIX = '/interaction/';

function send(res: ServerResponse, status: number, page: Page): void {
  res.writeHead(status, { ...page.headers, 'content-length': Buffer.byteLength(page.html) });
  res.end(page.html);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    return null;
  }
  let text = '';
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    size += bytes.byteLength;
    if (size > FORM_BODY_LIMIT) return null;
    text += bytes.toString('utf8');
  }
  return new URLSearchParams(text);
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

function clientIdOf(details: Details): string {
  const value = details.params['client_id'];
  return typeof value === 'string' ? value : '';
}

function minutes(seconds: number): string {
  const m = Math.ceil(seconds / 60);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

export type InteractionDeps = {
  readonly provider: Provider;
  readonly firstPartyClients: ReadonlyMap<string, string>; // client id → display name
  readonly audit: AuditLog;
  readonly throttle?: LoginThrottle;
};

export function createInteractionHandler(deps: InteractionDeps) {
  const { provider } = deps;
  const throttle = deps.throttle ?? createLoginThrottle();

  async function autoConsent(req: IncomingMessage, res: ServerResponse, details: Details) {
    const clientId = clientIdOf(details);
    const accountId = details.session?.accountId;
    if (!accountId || !deps.firstPartyClients.has(clientId)) {
      return send(
        res,
        403,
        renderMessagePage('Not allowed', 'This application cannot use this sign-in service.'),
      );
    }
    const grant =
      (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  async function show(req: IncomingMessage, res: ServerResponse, uid: string) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (details.prompt.name === 'login') {
      const clientId = clientIdOf(details);
      return send(
        res,
        200,
        renderLoginPage({
          action: `${INTERACTION_PREFIX}${uid}/login`,
          abortAction: `${INTERACTION_PREFIX}${uid}/abort`,
          clientName: deps.firstPartyClients.get(clientId) ?? clientId,
          ...(typeof details.params['login_hint'] === 'string'
            ? { username: details.params['login_hint'] }
            : {}),
        }),
      );
    }
    if (details.prompt.name === 'consent') return autoConsent(req, res, details);
    return send(res, 400, renderMessagePage('Cannot continue', 'Unsupported sign-in step.'));
  }

  async function login(req: IncomingMessage, res: ServerResponse, uid: string) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid || details.prompt.name !== 'login') {
      throw new Error('interaction mismatch');
    }
    const clientId = clientIdOf(details);
    const form = await readForm(req);
    const username = form?.get('username') ?? '';
    const lockedFor = throttle.lockedFor(username);
    const account =
      lockedFor === null ? authenticateDevAccount(username, form?.get('password') ?? '') : null;
    if (!account) {
      if (lockedFor === null) throttle.failed(username);
      deps.audit.record({
        action: 'idp.sign-in',
        user: username.slice(0, 100) || null,
        decision: 'refused',
        reason:
          lockedFor !== null
            ? 'too many failed attempts'
            : form
              ? 'wrong username or password'
              : 'malformed sign-in form',
        client: clientId,
      });
      return send(
        res,
        401,
        renderLoginPage({
          action: `${INTERACTION_PREFIX}${uid}/login`,
          abortAction: `${INTERACTION_PREFIX}${uid}/abort`,
          clientName: deps.firstPartyClients.get(clientId) ?? clientId,
          username,
          error:
            lockedFor !== null
              ? `Too many failed attempts. Try again in ${minutes(lockedFor)}.`
              : 'The username or password is incorrect. Try again.',
        }),
      );
    }
    throttle.succeeded(username);
    deps.audit.record({
      action: 'idp.sign-in',
      user: account.id,
      decision: 'allowed',
      reason: 'password verified',
      client: clientId,
    });
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.id } },
      { mergeWithLastSubmission: false },
    );
  }

  async function abort(req: IncomingMessage, res: ServerResponse) {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
      { mergeWithLastSubmission: false },
    );
  }

  /** Handles a request under /interaction/; answers 404 for anything it does not know. */
  return async function handleInteraction(req: IncomingMessage, res: ServerResponse) {
    const pathname = new URL(req.url ?? '/', 'https://idp.invalid').pathname;
    const match = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|abort))?$/.exec(pathname);
    try {
      if (!match?.[1]) {
        return send(res, 404, renderMessagePage('Not found', 'There is nothing here.'));
      }
      const [, uid, step] = match;
      if (!step && req.method === 'GET') return await show(req, res, uid);
      if (step === 'login' && req.method === 'POST') return await login(req, res, uid);
      if (step === 'abort' && req.method === 'POST') return await abort(req, res);
      return send(res, 405, renderMessagePage('Not allowed', 'This request is not allowed here.'));
    } catch (error) {
      // Expired or foreign interaction (no or wrong cookie), or a provider failure.
      log.info({ err: describeError(error) }, 'interaction failed');
      if (!res.headersSent) {
        send(
          res,
          400,
          renderMessagePage(
            'Sign-in expired',
            'This sign-in request is no longer valid. Return to Attaché and start signing in again.',
          ),
        );
      }
    }
  };
}
