// A slow network between the device and the broker, as on a hotel or aircraft link: a loopback
// TCP relay whose answers (broker to device) share one byte rate, so a first sync takes as long
// as that link makes it on any machine, however fast. Requests (device to broker) pass as they
// come. Only for tests that are about what the reader shows while a transfer is under way.
import net from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

export type SlowLink = {
  /** The address to give the device in place of the broker's. */
  readonly url: string;
  /** Bytes that have gone from the broker to the device so far. */
  readonly delivered: () => number;
  readonly close: () => Promise<void>;
};

/** Relays 127.0.0.1:<new port> to 127.0.0.1:`targetPort`, answers at `bytesPerSecond` at most. */
export async function startSlowLink(targetPort: number, bytesPerSecond: number): Promise<SlowLink> {
  // When the link is next free: every connection's bytes queue on the same link.
  let freeAt = Date.now();
  let delivered = 0;
  const sockets = new Set<net.Socket>();

  const paced = (): Transform =>
    new Transform({
      transform(chunk: Buffer, _encoding, done: TransformCallback) {
        const start = Math.max(Date.now(), freeAt);
        freeAt = start + (chunk.length / bytesPerSecond) * 1000;
        // The chunk arrives when the link has carried it.
        setTimeout(
          () => {
            delivered += chunk.length;
            done(null, chunk);
          },
          Math.max(0, freeAt - Date.now()),
        );
      },
    });

  const server = net.createServer((device) => {
    const broker = net.connect(targetPort, '127.0.0.1');
    for (const socket of [device, broker]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // A reset on either side ends both; the device sees a dropped connection, as on a real link.
      socket.on('error', () => {
        device.destroy();
        broker.destroy();
      });
    }
    device.pipe(broker);
    broker.pipe(paced()).pipe(device);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    delivered: () => delivered,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
