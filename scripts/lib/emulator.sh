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

# Starts the emulator in the background on a loopback port of its own
# choosing (chosen as the socket is bound, so nothing else can take it in
# between): start_emulator ROOT PYTHON LOG PORT_FILE. Sets emulator_pid;
# wait_emulator then prints the port.
start_emulator() {
  local root=$1 python=$2 log=$3 port_file=$4
  rm -f "$port_file"
  nohup "$python" "$root/acceptance-tests/emulator/swarm_moto.py" \
    -H 127.0.0.1 -p 0 --port-file "$port_file" >"$log" 2>&1 &
  emulator_pid=$!
}

# Waits, polling with a growing delay, until the emulator started by
# start_emulator listens and has written PORT_FILE; prints the port:
# wait_emulator PORT_FILE LOG.
wait_emulator() {
  local port_file=$1 log=$2 deadline=$((SECONDS + 60)) delay=0.05
  until [[ -s "$port_file" ]]; do
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
      echo "the emulator exited before listening; its log ($log):" >&2
      cat "$log" >&2
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "the emulator did not listen within 60 s; see $log" >&2
      return 1
    fi
    sleep "$delay"
    delay=$(python3 -c "print(min($delay * 2, 0.5))")
  done
  cat "$port_file"
}
