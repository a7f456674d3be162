// In Electron, records go to electron-log's rotating file in the app's logs folder. Redaction
// already happened in createLogger; this only formats and writes.
import log from 'electron-log/main';
import type { LogSink } from './logger.js';

const MAX_LOG_BYTES = 5 * 1024 * 1024;

export function createElectronLogSink(): LogSink {
  log.initialize({ preload: false, spyRendererConsole: false });
  // electron-log keeps one archive (main.old.log) when the file reaches maxSize.
  log.transports.file.maxSize = MAX_LOG_BYTES;
  log.transports.file.level = 'info';
  log.transports.console.level = process.env['NODE_ENV'] === 'development' ? 'debug' : false;
  return (record) => {
    const fields = record.fields ? ` ${JSON.stringify(record.fields)}` : '';
    log.scope(record.scope)[record.level](`${record.message}${fields}`);
  };
}
