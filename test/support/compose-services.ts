// The services `docker-compose.yml` + `docker-compose.apache.yml` start without a profile: what
// test/deploy/compose.test.ts reads from the merged config and test/docker/compose.test.ts finds
// running. Tempo, Loki and Grafana (AGPL) are behind the `agpl` profile and not among them.
export const APACHE_STACK_SERVICES = [
  'alert-webhook',
  'alertmanager',
  'jaeger',
  'otel-collector',
  'prometheus',
  'relay',
  'simulator',
  'victorialogs',
];
