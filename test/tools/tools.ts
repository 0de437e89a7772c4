// Paths of the programs test/tools/global-setup.ts provisioned for this run.
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    tools: Record<string, string>;
  }
}

export type ToolName = 'promtool' | 'amtool' | 'helm' | 'sloth' | 'docker-compose';

export function toolPath(name: ToolName): string {
  const path = inject('tools')?.[name];
  if (path === undefined)
    throw new Error(`${name} was not provisioned: run the tests through vitest.config.ts (npm test), whose globalSetup provides it`);
  return path;
}
