// Starts an HTTP server and reports the URL it really listens on (port 0 → the chosen port). A
// failure to listen becomes a ListenError: one line naming the address, the port and the setting.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  server: Server;
  /** http://host:port, with a wildcard host shown as 127.0.0.1 (a URL one can call from here). */
  url: string;
  /** The address and port really bound, e.g. 0.0.0.0 and 8080. */
  host: string;
  port: number;
  close(): Promise<void>;
}

const WHY: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another process listens there; stop it or choose another port)',
  EACCES: 'permission denied (ports below 1024 need privileges; choose a port above 1023)',
  EADDRNOTAVAIL: 'the address is not one of this machine’s (check the host setting)',
  ENOTFOUND: 'the host name does not resolve (check the host setting)',
  EAI_AGAIN: 'the host name does not resolve (check the host setting)',
};

/** A server could not listen. The message is one line, for start-up output. */
export class ListenError extends Error {
  override name = 'ListenError';
  readonly code: string | undefined;
  constructor(host: string, port: number, setting: string, cause: NodeJS.ErrnoException) {
    const why = (cause.code && WHY[cause.code]) ?? cause.message;
    super(`Cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} (${setting}): ${why}.`, { cause });
    this.code = cause.code;
  }
}

/** `setting` names what configures this listener, e.g. "RELAY_HOST / RELAY_PORT". */
export function listen(server: Server, host: string, port: number, setting = 'host and port'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(host, port, setting, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address() as AddressInfo;
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        server,
        url: `http://${h === '0.0.0.0' ? '127.0.0.1' : h === '[::]' ? '127.0.0.1' : h}:${addr.port}`,
        host: addr.address,
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            // Keep-alive: Node closes the connections idle now, but one whose response ends during the
            // drain would stay open until the client lets go (undici 4 s, Python pools never). So
            // responses from now on say `Connection: close`, and idle connections are swept until the
            // last one is gone. (Ten lines rather than http-terminator, unmaintained since 2022.)
            server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
            const sweep = setInterval(() => server.closeIdleConnections(), 50);
            server.close(() => {
              clearInterval(sweep);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
