// The managed channels of the IPC contract (settings, classification policy, links,
// diagnostics) and the policy applied around the device's own briefing channels: nothing above
// the device's ceiling reaches the reader, and screen-capture protection follows what is shown.
import type { BriefingDetail, BriefingSummary } from '../../shared/ipc.js';
import { fail, ok } from '../../shared/result.js';
import type { SessionView } from '../session/session-view.js';
import { createDiagnosticsExporter } from '../diagnostics/export-diagnostics.js';
import type { DeviceIpcHandlers, IpcHandlers } from './handlers.js';
import type { Logger } from '../logging/logger.js';
import { exceedsCeiling } from '../policy/classification-policy.js';
import type { ConfigService } from '../policy/config-service.js';
import { linkDecision } from '../../shared/link-policy.js';
import type { ExternalLinkPolicy } from '../windows/external-links.js';
import { ExternalLinkRefusedError, briefingLinkPolicy } from '../windows/external-links.js';
import type { ScreenCaptureGuard } from '../policy/screen-capture.js';

export const LINK_NOT_ALLOWED = 'link-not-allowed';

export type ManagedHandlerDeps = {
  readonly config: ConfigService;
  /** Desktop app only: the browser host cannot protect a browser's window. */
  readonly screenCapture: ScreenCaptureGuard | null;
  /**
   * The opener for one caller's allow-list (Electron: windows/external-open.electron.ts, the only
   * way to shell.openExternal); briefing links get the list their policy allows. Null in the
   * browser host, where the reader opens the address in a new tab of its own browser.
   */
  readonly openerFor: ((policy: ExternalLinkPolicy) => (url: string) => Promise<void>) | null;
  /** Where the log files are, for the diagnostics zip. */
  readonly logDir: string;
  readonly logger: Logger;
};

export function managedHandlers(
  deps: ManagedHandlerDeps,
): (handlers: DeviceIpcHandlers, services: SessionView) => IpcHandlers {
  const log = deps.logger.child('policy');
  const ceiling = () => deps.config.values()?.classificationCeiling ?? 'TOP SECRET';
  const held = (briefing: BriefingSummary) => !exceedsCeiling(briefing.classification, ceiling());

  return (handlers, services) => {
    const markingOf = async (id: string): Promise<string | null> => {
      const briefing = await services.workspace()?.briefings.get(id);
      return briefing ? briefing.classification : null;
    };
    const exportDiagnostics = createDiagnosticsExporter({
      logDir: deps.logDir,
      config: () => deps.config.view(),
      session: () => services.session(),
      syncStatus: () => services.syncStatus(),
      briefingCounts: async () => {
        const briefings = services.workspace()?.briefings;
        if (!briefings) return null;
        const counts: Record<string, number> = {};
        for (const briefing of await briefings.list()) {
          counts[briefing.classification] = (counts[briefing.classification] ?? 0) + 1;
        }
        return counts;
      },
    });
    const visible = (briefing: BriefingDetail | null): BriefingDetail | null =>
      briefing && held(briefing) ? briefing : null;

    return {
      ...handlers,
      'briefings:list': async (request) => {
        const result = await handlers['briefings:list'](request);
        // The store holds nothing above the ceiling (store-ceiling.ts purges it at open); this
        // is the second line, so the counts are the store's.
        return result.ok ? ok({ ...result.value, items: result.value.items.filter(held) }) : result;
      },
      'briefings:summaries': async (request) => {
        const result = await handlers['briefings:summaries'](request);
        return result.ok ? ok({ ...result.value, items: result.value.items.filter(held) }) : result;
      },
      'briefings:get': async (request) => {
        const result = await handlers['briefings:get'](request);
        if (!result.ok) return result;
        const briefing = visible(result.value);
        if (briefing) deps.screenCapture?.served(briefing.classification);
        return ok(briefing);
      },
      'briefings:attachment': async (request) => {
        const marking = await markingOf(request.id);
        if (marking === null || exceedsCeiling(marking, ceiling())) return ok(null);
        deps.screenCapture?.served(marking);
        return handlers['briefings:attachment'](request);
      },
      'reader:shown': async ({ id }) => {
        deps.screenCapture?.shown(id === null ? null : await markingOf(id));
        return ok(null);
      },
      'config:get': () => Promise.resolve(ok(deps.config.view())),
      'settings:set': ({ key, value }) => deps.config.setPersonal(key, value),
      'links:check': ({ url }) =>
        Promise.resolve(ok(linkDecision(url, deps.config.view().allowedLinkTargets))),
      'links:open': async ({ url }) => {
        // Decided again here: the reader's earlier check is no permission.
        const decision = linkDecision(url, deps.config.view().allowedLinkTargets);
        if (!decision.allowed) {
          log.warn('refused to open a link from a briefing', { reason: decision.reason });
          return fail(LINK_NOT_ALLOWED, decision.reason);
        }
        if (!deps.openerFor) return ok({ how: 'reader', url: decision.url } as const);
        // Through the briefing links' own allow-list, built from the same policy: the opener
        // checks scheme and host again, and no other caller's list can widen it.
        const open = deps.openerFor(briefingLinkPolicy(deps.config.view().allowedLinkTargets));
        try {
          await open(decision.url);
        } catch (error) {
          if (!(error instanceof ExternalLinkRefusedError)) throw error;
          return fail(LINK_NOT_ALLOWED, error.message);
        }
        log.info('opened a link from a briefing in the system browser', {
          host: new URL(decision.url).host,
        });
        return ok({ how: 'system-browser' } as const);
      },
      'diagnostics:export': async () => ok(await exportDiagnostics()),
    };
  };
}
