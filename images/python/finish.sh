#!/usr/bin/env bash
# finish.sh ROOT: trims the python image's root filesystem. botocore's service models are ~100 MB
# of JSON; botocore reads them gzipped just as well (loaders.py opens .json.gz), so they are
# compressed, and the examples (documentation only) are dropped.
set -euo pipefail
root="$1"
data="$(find "$root"/usr/lib/python3/dist-packages/botocore -maxdepth 1 -name data -type d 2>/dev/null || true)"
if [ -n "$data" ]; then
	find "$data" -name 'examples-1.json' -delete
	find "$data" -name '*.json' -size +4k -exec gzip -9n {} +
fi
find "$root" -name '__pycache__' -type d -prune -exec rm -rf {} +
# Debian's sitecustomize only tries to install apport's exception hook, which the image does not
# have: a failed import at every start. A function's own sitecustomize (on its path) still works.
rm -f "$root"/usr/lib/python3.*/sitecustomize.py "$root"/etc/python3.*/sitecustomize.py
