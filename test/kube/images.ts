// The images the cluster's node runs, made on the Docker engine `npm run test:docker` starts (no
// registry can be reached from these machines) and handed to the node as one `docker save` archive:
// the relay's, built from the repository's Dockerfile, and the pod sandbox's pause (pause/main.go).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelayImage, dockerOk, nodeBaseImage } from '../docker/docker.ts';
import { goModuleBinary } from '../stack/services.ts';

/** Tags the node never pulls: the chart runs them with imagePullPolicy Never. */
export const RELAY_IMAGE = { repository: 'embedding-relay-test/relay', tag: 'kube' };
export const PAUSE_IMAGE = 'embedding-relay-test/pause:kube';

export interface NodeImages {
  pauseImage: string;
  images: Buffer;
  /** Seconds the relay's `docker build` took (cached layers make it seconds). */
  buildSeconds: number;
}

export function nodeImages(): NodeImages {
  const relay = `${RELAY_IMAGE.repository}:${RELAY_IMAGE.tag}`;
  const buildSeconds = buildRelayImage(relay, nodeBaseImage());
  const pause = goModuleBinary('../kube/pause', 'pause', 'embedding-relay/tools/pause');
  const root = mkdtempSync(join(tmpdir(), 'embedding-relay-pause-'));
  try {
    copyFileSync(pause, join(root, 'pause'));
    const layer = execFileSync('tar', ['-C', root, '-c', 'pause'], { maxBuffer: 64 << 20 });
    execFileSync('docker', ['import', '--change', 'ENTRYPOINT ["/pause"]', '-', PAUSE_IMAGE], {
      input: layer,
      stdio: ['pipe', 'ignore', 'inherit'],
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  dockerOk(['image', 'inspect', PAUSE_IMAGE]);
  const images = execFileSync('docker', ['save', relay, PAUSE_IMAGE], { maxBuffer: 1 << 30 });
  return { pauseImage: PAUSE_IMAGE, images, buildSeconds };
}
