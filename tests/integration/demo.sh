#!/bin/bash
# make demo's governance story (hack/demo.sh) as an integration suite: every step asserts its
# outcome (refusals carry the webhook's message, phases and alerts are waited for with
# timeouts), the script exits non-zero when one fails and stops everything it started.
cd "$(dirname "$0")/../.." || exit 1
exec hack/demo.sh
