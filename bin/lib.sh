# bin/lib.sh: what the launchers in bin/ share. Sourced, not run:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# One Maven rule for every script: offline first (-o: everything is normally in ~/.m2 already, and a
# run must not wait for the network), then online for what is missing (a fresh clone with an empty
# ~/.m2). MTA_STS_OFFLINE=0: online only. MVN (default mvn) names the Maven command.

# The repository root (bin/..).
MTA_STS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Maven's console library leaves colour escapes even in batch mode; keep stderr readable.
nocolor() { sed 's/\x1b\[[0-9;]*m//g'; }

# mvn_run ARGS...: quiet batch Maven, offline first, then online. Maven's output goes to stderr (the
# online attempt's only: the offline attempt fails quietly when something is missing). An interrupted
# run (Ctrl-C) stops the script instead of being retried online.
mvn_run() {
  local -
  set -o pipefail
  local rc=0 mvn=(${MVN:-mvn} -B -q -Dstyle.color=never)
  if [[ "${MTA_STS_OFFLINE:-1}" == 1 ]]; then
    "${mvn[@]}" -o "$@" >/dev/null 2>&1 || rc=$?
    [[ "$rc" == 0 ]] && return 0
    [[ "$rc" -gt 128 ]] && exit "$rc"
    rc=0
  fi
  "${mvn[@]}" "$@" 2>&1 | nocolor >&2 || rc=$?
  return "$rc"
}

# stale STAMP PATH...: true when STAMP is missing or a file under one of the PATHs is newer (a build
# is due).
stale() {
  local stamp="$1"; shift
  [[ ! -e "$stamp" ]] && return 0
  [[ -n "$(find "$@" -newer "$stamp" -type f -print -quit 2>/dev/null)" ]]
}

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# pid_alive PID_FILE: prints the pid and is true when the file names a live process.
pid_alive() {
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null && cat "$1"
}

# since T0: seconds elapsed since T0 (from `date +%s.%N`), one decimal.
since() { awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $1}"; }

# wait_ready PID TIMEOUT_SECONDS CHECK...: runs CHECK every 0.5 s until it succeeds (0), the process
# PID dies (1) or TIMEOUT_SECONDS pass (2).
wait_ready() {
  local pid="$1" deadline=$(( $(date +%s) + $2 )); shift 2
  until "$@"; do
    kill -0 "$pid" 2>/dev/null || return 1
    [[ "$(date +%s)" -ge "$deadline" ]] && return 2
    sleep 0.5
  done
  return 0
}

# stop_pid PID SECONDS: SIGTERM (the JVM's shutdown hooks run), up to SECONDS for it to end, then
# SIGKILL. True when it had to be killed.
stop_pid() {
  local pid="$1" tries=$(( $2 * 2 ))
  kill -TERM "$pid" 2>/dev/null || return 1
  for _ in $(seq 1 "$tries"); do kill -0 "$pid" 2>/dev/null || return 1; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null || return 1
  kill -KILL "$pid"
  return 0
}
