// In Electron, records go to electron-log's files in the app's logs folder, rotated by
// log-files.ts. Redaction already happened in createLogger; this only writes.
import log from 'electron-log/main';
import type { LogSink } from './logger.js';
import { configureFileTransport, formatRecord } from './log-files.js';

export function createElectronLogSink(dir: string): LogSink {
  log.initialize({ preload: false, spyRendererConsole: false });
  configureFileTransport(log.transports.file, { dir });
  log.transports.console.level = process.env['NODE_ENV'] === 'development' ? 'debug' : false;
  return (record) => {
    log[record.level](formatRecord(record));
  };
}
