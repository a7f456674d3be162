// Probes of which addresses of this machine accept connections on a port, for the tests that
// prove a listener is bound to 127.0.0.1 only (the server's, the reader host's, msal's redirect).
import { createConnection } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Whether something accepts TCP connections on host:port. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Every address of this machine other than 127.0.0.1 (IPv6 loopback included). */
export function otherAddresses(): string[] {
  const addresses = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((entry) => entry.address)
    .filter((address) => address !== '127.0.0.1' && !address.startsWith('fe80'));
  // Linux routes all of 127.0.0.0/8 to lo: a wildcard bind answers 127.0.0.2, 127.0.0.1 does not.
  const extraLoopback = process.platform === 'linux' ? ['127.0.0.2'] : [];
  return [...new Set(['::1', ...extraLoopback, ...addresses])];
}
