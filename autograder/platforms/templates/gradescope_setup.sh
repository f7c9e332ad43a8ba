#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the autograder image
# (choose the Ubuntu 22.04 base image). It installs the one pinned grading environment:
# Python @PYTHON_VERSION@ (a python-build-standalone build, installed by uv @UV_VERSION@) and exactly the
# versions of requirements.lock, in @VENV@: outside /autograder, which the sandbox hides from
# student code. torch comes from PyTorch's CPU wheel index (Gradescope has no GPU); the version is
# still the one requirements.lock pins (2.13.0 matches the 2.13.0+cpu build).
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive

apt-get update
# util-linux: unshare, for the worker's private network and mount namespaces
apt-get install -y --no-install-recommends ca-certificates curl util-linux

curl -LsSf "https://astral.sh/uv/@UV_VERSION@/install.sh" | env UV_INSTALL_DIR=/usr/local/bin UV_NO_MODIFY_PATH=1 sh
export UV_PYTHON_INSTALL_DIR=/opt/python
uv python install "@PYTHON_VERSION@"
"$(uv python find "@PYTHON_VERSION@")" -m venv "@VENV@"

"@VENV@/bin/python" -m pip install --no-cache-dir --extra-index-url "@TORCH_INDEX@" -r requirements.lock
"@VENV@/bin/python" -m pip install --no-cache-dir --no-deps --no-build-isolation .
# Fails the setup (and so the upload) if the environment differs from requirements.lock or the
# grading material cannot be read.
"@VENV@/bin/python" -P -m autograder.platforms.gradescope --verify
