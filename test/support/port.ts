// Free TCP ports on 127.0.0.1, and waiting until something listens on one.
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

// A port found free is handed to another program that binds it a moment later. Ports the kernel picks
// for listen(0) come from the ephemeral range, the range it also gives every outgoing connection, so in
// that moment a connection made by a test running alongside could take it (CI once saw the relay fail
// with "address already in use" this way). So the ports handed out here lie below that range, and none
// twice in one test process.
const LOW = 20_000;
const EPHEMERAL_LOW = (() => {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return first > LOW + 1000 ? first : 32768;
  } catch {
    return 32768; // Linux's default, where the file cannot be read
  }
})();
const given = new Set<number>();

const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = LOW + Math.floor(Math.random() * (EPHEMERAL_LOW - LOW));
    if (given.has(port)) continue;
    given.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found in ${LOW}-${EPHEMERAL_LOW - 1} on 127.0.0.1 after 200 tries`);
}

const connects = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Resolves once 127.0.0.1:port accepts connections; rejects after timeoutMs or when `alive()` turns false. */
export async function waitForPort(port: number, alive: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the process meant to listen on port ${port} exited`);
    if (await connects(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}
