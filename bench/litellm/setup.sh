#!/usr/bin/env bash
# Provisions LiteLLM's proxy for `npm run bench` (target `litellm`, bench/harness/targets/litellm.ts) under
# ~/.cache/embedding-relay, once per hash of requirements.txt: a venv with every pin of
# requirements.txt installed with --no-deps (the file is the whole dependency set; see its header
# for what is left out and why). Cold: about 2 minutes, 750 MB. Needs python3 and PyPI.
# Prints the venv's path as its last line. Any failure exits non-zero.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../test/support/venv.sh"
install_into() {
  "$1/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.txt"
  LITELLM_LOCAL_MODEL_COST_MAP=True "$1/bin/python" - <<'PY'
# The proxy and both callbacks import, and no copyleft licence entered the venv (Python metadata is
# free text: a deny-list over License-Expression, License and the licence classifiers).
import importlib.metadata as md, re, sys
import litellm.proxy.proxy_server, litellm.integrations.prometheus, litellm.integrations.opentelemetry  # noqa: F401
import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
copyleft = re.compile(r"\b(A?GPL|LGPL|SSPL|BUSL)\b|GNU (Affero |Lesser |Library )?General Public|Server Side Public|Business Source", re.I)
bad = []
for d in md.distributions():
    fields = [d.metadata.get("License-Expression") or "", (d.metadata.get("License") or "").split("\n")[0]]
    fields += [c for c in d.metadata.get_all("Classifier") or [] if c.startswith("License")]
    if any(copyleft.search(f) for f in fields):
        bad.append(f"{d.metadata['Name']} {d.version}: {' | '.join(f for f in fields if f)}")
if bad:
    sys.exit("litellm: copyleft licences in the venv:\n  " + "\n  ".join(bad))
PY
}
venv=$(cached_venv litellm "$here/requirements.txt")
echo "$venv"
