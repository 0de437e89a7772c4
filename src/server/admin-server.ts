// The admin port (OTEL_EXPORTER_PROMETHEUS_HOST/PORT): GET /metrics, and the health probes too, so
// an operator can expose the API port to clients (with RELAY_API_KEYS) and keep probes and scrapes
// on a port that is not. The SDK (telemetry/sdk.ts, loaded first by instrument.ts) hands over its
// /metrics handler; the app hands over its probes once its handler exists (setHealthHandler).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { settingNames } from '../config/load.ts';
import { sendJson } from '../core/send-json.ts';
import { listen, type RunningServer } from './listen.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);
let health: Handler | undefined;

/** Called by the app once its handler exists (undefined again while it shuts down). */
export function setHealthHandler(handler: Handler | undefined): void {
  health = handler;
}

/** Listens on host:port for /metrics (the SDK's handler) and the probes (503 while the app is not up). */
export async function startAdminServer(host: string, port: number, metrics: Handler): Promise<RunningServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0]!;
    if (path === '/metrics') return metrics(req, res);
    if (HEALTH_PATHS.has(path)) return health ? health(req, res) : sendJson(res, 503, { status: 'not_serving' });
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at /metrics, probes at /healthz and /readyz\n');
  });
  const running = await listen(server, host, port, settingNames('metricsHost', 'metricsPort'));
  // The admin port must not keep a draining process alive: neither the listener nor a scraper's
  // keep-alive connection, which would hold exit for the keep-alive timeout after SIGTERM.
  server.unref();
  server.on('connection', (socket) => socket.unref());
  return running;
}
