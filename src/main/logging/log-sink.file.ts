// Outside Electron (the browser host), records go to the same rotating files electron-log keeps
// in Electron, through electron-log's Node build, in `<data folder>/logs`.
import log from 'electron-log/node';
import type { LogSink } from './logger.js';
import { configureFileTransport, formatRecord } from './log-files.js';

export function createFileLogSink(options: {
  readonly dir: string;
  readonly maxBytes?: number;
  readonly kept?: number;
}): LogSink {
  // A logger of its own, so that two sinks (tests) never share a file transport.
  const logger = log.create({ logId: `attache:${options.dir}` });
  logger.transports.console.level = false;
  configureFileTransport(logger.transports.file, options);
  return (record) => {
    logger[record.level](formatRecord(record));
  };
}
