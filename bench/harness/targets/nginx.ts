// Debian's nginx as a bench target, the reference reverse proxy: a generated config in a temp dir, run as a
// non-daemon child with one process (master_process off), keep-alive on both sides. Measured on
// the 2-core bench machine: without client_body_buffer_size 1m a 16 KB request body is spooled to
// disk and each request stalls ~40 ms. Responses are buffered in memory (up to 4 MB, never disk).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, tempDir } from '../../../test/support/child.ts';
import { freePort, waitForPort } from '../../../test/support/port.ts';
import type { Target } from './target.ts';

/** The nginx executable, or undefined when it is not installed (the nginx column is then skipped). */
export function findNginx(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'nginx'), constants.X_OK);
      return join(dir, 'nginx');
    } catch {
      // not here
    }
  }
  return undefined;
}

export function nginxVersion(bin: string): string {
  try {
    // nginx -v prints to stderr: "nginx version: nginx/1.22.1"
    const out = execFileSync(bin, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.trim() || 'nginx';
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '');
    return stderr.replace('nginx version: ', '').trim() || 'nginx';
  }
}

export function nginxConfig(dir: string, port: number, upstreamPort: number): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_max_body_size 64m;
  client_body_buffer_size 1m;
  upstream embeddings {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://embeddings;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffer_size 64k;
      proxy_buffers 64 64k;
      proxy_busy_buffers_size 128k;
      proxy_max_temp_file_size 0;
    }
  }
}
`;
}

/** Writes the config into a fresh temp dir; returns the arguments to start nginx with. */
export function nginxArgs(port: number, upstreamPort: number): { dir: string; args: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'embedding-relay-bench-nginx-'));
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, upstreamPort));
  return { dir, args: ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf] };
}

export async function startNginx(bin: string, upstreamPort: number): Promise<Target> {
  const port = await freePort();
  const { dir, args } = nginxArgs(port, upstreamPort);
  const remove = tempDir(dir);
  const child = startChild('nginx', bin, args);
  const stop = async () => {
    await child.stop();
    remove();
  };
  try {
    await waitForPort(port, child.running);
  } catch (err) {
    let log = '';
    try {
      log = readFileSync(`${dir}/error.log`, 'utf8').trim();
    } catch {
      // no log written
    }
    await stop();
    throw new Error(`nginx did not start: ${(err as Error).message}\n${child.stderrTail().trim()}\n${log}`);
  }
  return { name: 'nginx', origin: `http://127.0.0.1:${port}`, child, metricsUrl: undefined, stop };
}
