// Requests that Node's HTTP parser refuses before any handler sees them: a malformed request
// line, oversized headers, a request that did not arrive in time. Node answers those itself
// (400, 431, 413, 408) and nobody hears of it; here each server answers the same way and says so,
// so that the audit trail, which claims every request once, holds these too.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export type ParserRefusal = {
  readonly status: 400 | 408 | 413 | 431;
  /** Node's error code, e.g. HPE_INVALID_METHOD, HPE_HEADER_OVERFLOW. */
  readonly code: string;
  /** The peer's address (the proxy's, behind one: no header of the request could be read). */
  readonly client: string;
};

const REASONS: Record<ParserRefusal['status'], string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

function statusFor(code: string): ParserRefusal['status'] | null {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return 413;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code.startsWith('HPE_')) return 400;
  return null;
}

/**
 * Answers what the parser refuses as Node would, and reports each refusal. Errors of the
 * connection itself (the peer reset it) are no request and are not reported.
 */
export function reportParserRefusals(
  server: Server,
  onRefusal: (refusal: ParserRefusal) => void,
): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const code = typeof error.code === 'string' ? error.code : '';
    const status = statusFor(code);
    if (status === null) {
      socket.destroy();
      return;
    }
    onRefusal({ status, code, client: socket.remoteAddress ?? 'unknown' });
    // As Node's own handler: answer only when no response of an earlier (pipelined) request on
    // this connection has started, or the peer would read a corrupted stream.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      // Closed once the answer is out: a peer that never closes its side keeps nothing open.
      socket.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\nConnection: close\r\n\r\n`, () =>
        socket.destroy(),
      );
    } else {
      socket.destroy();
    }
  });
}
