// Every start-up failure is one line on stderr and an exit code, never a stack trace: a bad
// setting (ConfigError, exit 2) or a listener that cannot bind (ListenError, exit 1).
import { ConfigError } from '../config/load.ts';
import { ListenError } from './listen.ts';

export function exitOnStartupFailure(err: unknown): never {
  if (err instanceof ConfigError || err instanceof ListenError) {
    console.error(`embedding-relay: ${err.message}`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  throw err;
}
