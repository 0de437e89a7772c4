// THE one place where the stack tests change the repository's own config files: hostnames and
// ports only (docker-compose service names → 127.0.0.1, fixed ports → free ones). Every key must
// occur in the file, so a renamed host or port in a config fails the test instead of being missed.
export function rewriteHostsAndPorts(text: string, replacements: Record<string, string>, file: string): string {
  let out = text;
  for (const [from, to] of Object.entries(replacements)) {
    if (!/^[\w.-]*:?\s?[\w.-]*$/.test(from) || !/^[\w.-]*:?\s?[\w.-]*$/.test(to)) {
      throw new Error(`rewrite ${JSON.stringify(from)} → ${JSON.stringify(to)}: only host[:port] or "key: value" host/port pairs may change`);
    }
    if (!out.includes(from)) throw new Error(`${file}: expected to find ${JSON.stringify(from)} to rewrite`);
    out = out.split(from).join(to);
  }
  return out;
}
