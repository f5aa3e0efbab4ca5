# Shared by scripts/test and scripts/demo: the AWS emulator (moto in server
# mode, pinned in acceptance-tests/requirements.txt) in the repository's
# .venv. Source it; it defines functions only.

# Creates or refreshes .venv; prints the Python to use.
emulator_python() {
  local root=$1
  local venv="$root/.venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" >&2
  fi
  if ! cmp -s "$root/acceptance-tests/requirements.txt" "$venv/.requirements.installed" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      -r "$root/acceptance-tests/requirements.txt" >&2
    cp "$root/acceptance-tests/requirements.txt" "$venv/.requirements.installed"
  fi
  echo "$venv/bin/python"
}

# A free loopback port.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something listens on 127.0.0.1:$1, polling with a growing delay.
wait_listening() {
  local port=$1 deadline=$((SECONDS + 60)) delay=0.05
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ((SECONDS > deadline)); then
      echo "nothing listens on 127.0.0.1:$port after 60 s" >&2
      return 1
    fi
    sleep "$delay"
    delay=$(python3 -c "print(min($delay * 2, 0.5))")
  done
}
