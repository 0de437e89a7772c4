// Loki push details: where pushes go for a LOKI_URL, and how long a Retry-After asks to wait.

/** Retry-After (seconds or an HTTP date) in milliseconds. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const s = Number(header);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const PUSH_PATH = '/loki/api/v1/push';

/**
 * Where pushes go for a `LOKI_URL`: `<LOKI_URL>/loki/api/v1/push`, whatever path `LOKI_URL` has, so a
 * Loki behind a gateway prefix (`https://gw/tenant-a/logs`) or VictoriaLogs (`http://vl:9428/insert`)
 * works. A URL that already ends in `/loki/api/v1/push` (as Promtail and Alloy are configured) is
 * used as it is. (`new URL('loki/api/v1/push', base)` would drop the base's last path segment.)
 */
export function lokiPushUrl(base: string): URL {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(PUSH_PATH) ? path : path + PUSH_PATH;
  return url;
}
