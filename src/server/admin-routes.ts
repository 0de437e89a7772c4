// Health probes on the metrics port too (the "admin" port), so an operator can expose the API
// port to clients (with RELAY_API_KEYS) and keep probes and scrapes on a port that is not. The
// metrics server lives in telemetry.ts (loaded before the app, SDK side) and the probes in the
// relay's handler (app side); this one slot joins them without either importing the other.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../send-json.ts';

export const ADMIN_PATHS = new Set(['/healthz', '/readyz']);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let health: Handler | undefined;

/** Called by the app once its handler exists. */
export function setHealthHandler(handler: Handler | undefined): void {
  health = handler;
}

/** The probes, or 503 while the app is not up yet or is shutting down. */
export function serveHealth(req: IncomingMessage, res: ServerResponse): void {
  if (health) return health(req, res);
  sendJson(res, 503, { status: 'not_serving' });
}
