// "Export diagnostics": one zip a person can send to IT. It holds the device's logs (already
// redacted by the logger, and scrubbed once more here with what the logger knows now), the
// effective configuration with where each setting came from (no secrets: none are settings),
// and the sync state. Never a token, a briefing's title or body, or the person's name or id in
// clear: the person is named by the same hash the logs use.
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { DiagnosticsFile, SessionInfo, SyncStatus } from '../../shared/ipc.js';
import type { DeviceConfigView } from '../../shared/settings.js';
import { listLogFiles } from '../logging/log-files.js';
import { personMark, redactString } from '../logging/redact.js';

export type DiagnosticsSources = {
  readonly logDir: string;
  readonly config: () => DeviceConfigView;
  /** Null while the device is not set up (nothing runs to have a state). */
  readonly session: () => SessionInfo | null;
  readonly syncStatus: () => SyncStatus | null;
  /** How many briefings the open store holds, by marking (counts only, never content). */
  readonly briefingCounts: () => Promise<Readonly<Record<string, number>> | null>;
  readonly now?: () => Date;
};

/** Who is signed in and how the session stands, with the person hashed. */
function sessionState(session: SessionInfo | null): unknown {
  if (!session) return null;
  return {
    state: session.state,
    person: session.user ? personMark(session.user.id) : null,
    signInNeeded: session.signInNeeded,
    offlineAccessUntil: session.offlineAccessUntil,
    lockReason: session.lockReason,
    signedOutReason: session.signedOutReason,
    signIn: session.signIn.phase,
  };
}

const json = (value: unknown): Uint8Array => strToU8(`${JSON.stringify(value, null, 2)}\n`);

export function createDiagnosticsExporter(
  sources: DiagnosticsSources,
): () => Promise<DiagnosticsFile> {
  const now = sources.now ?? (() => new Date());
  return async () => {
    const time = now();
    const session = sources.session();
    const files: Record<string, Uint8Array> = {};
    for (const path of await listLogFiles(sources.logDir)) {
      const text = await readFile(path, 'utf8').catch(() => '');
      // Lines written before the person was known to the logger are scrubbed now.
      files[`logs/${basename(path)}`] = strToU8(redactString(text));
    }
    const config = sources.config();
    files['configuration.json'] = json({
      settings: config.settings,
      ignoredValues: config.problems,
      notSetUp: config.notSetUp,
      markings: config.markings,
      allowedLinkTargets: config.allowedLinkTargets,
    });
    files['sync-state.json'] = json({
      session: sessionState(session),
      sync: sources.syncStatus(),
      briefingsByMarking: await sources.briefingCounts().catch(() => null),
    });
    files['about.json'] = json({
      exportedAt: time.toISOString(),
      appVersion: config.device.appVersion,
      deviceId: config.device.id,
      server: config.device.serverUrl,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      runtime: { node: process.versions.node, electron: process.versions['electron'] ?? null },
    });
    const zip = zipSync(files, { level: 9, mtime: time });
    const stamp = time.toISOString().slice(0, 19).replaceAll(':', '-');
    return {
      fileName: `attache-diagnostics-${stamp}.zip`,
      base64: Buffer.from(zip).toString('base64'),
    };
  };
}
