#!/usr/bin/env bash
# The README's demo: start the sandbox server, then log in, create, list, use and delete a token,
# and log out, printing each command before its real output.
set -euo pipefail

port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export IGGY_URL="http://127.0.0.1:$port"
workdir=$(mktemp -d)
sandbox_pid=""
cleanup() {
    if [ -n "$sandbox_pid" ]; then
        kill "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# Use the OS keyring where there is one; otherwise say so and use the plaintext stand-in.
if ! python - <<'PY' 2>/dev/null
import sys
from iggy_cli.secrets.stores import KeyringStore
from iggy_cli.errors import StorageError
try:
    KeyringStore().check()
except StorageError:
    sys.exit(1)
PY
then
    echo "# No OS keyring on this machine (no Secret Service). For this demo only, tokens go to"
    echo "# PlaintextFileKeyring, an unencrypted stand-in in $workdir/keyring.json."
    export PYTHON_KEYRING_BACKEND=iggy_cli.secrets.plaintext_keyring.PlaintextFileKeyring
    export IGGY_PLAINTEXT_KEYRING_FILE="$workdir/keyring.json"
fi
export XDG_DATA_HOME="$workdir/data"

iggy sandbox --port "$port" >"$workdir/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 50); do
    python -c "import urllib.request as u; u.urlopen('$IGGY_URL/ping', timeout=1)" 2>/dev/null && break
    sleep 0.1
done
echo "# Sandbox server running at $IGGY_URL (user iggy, password iggy)"

run() {
    echo
    echo "\$ $*"
    "$@"
}

export IGGY_PASSWORD=iggy
run iggy -u iggy login
unset IGGY_PASSWORD
run iggy pat create demo-deploy 30d
run iggy pat create demo-ci 1h 30m
run iggy pat list
run iggy pat login demo-deploy
run iggy pat list -o json
run iggy pat delete demo-ci --yes
run iggy logout
echo
echo "# logout never deletes a token adopted with 'pat login'; clean it up with a password:"
export IGGY_PASSWORD=iggy
run iggy -u iggy pat delete demo-deploy --yes
run iggy -u iggy pat list
