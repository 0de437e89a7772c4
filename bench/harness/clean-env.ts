// The runner's environment for a target process, without the settings a developer's shell may
// carry for the relay, OpenTelemetry, Loki or LiteLLM: every target starts from what the bench sets.
const TARGET_SETTINGS = /^(RELAY_|OTEL_|LOKI_|LITELLM_|PROMETHEUS_)/;

export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!TARGET_SETTINGS.test(k)) env[k] = v;
  }
  return env;
}
