#!/usr/bin/env bash
# supervise.sh NAME CMD...: run CMD, and run it again a second after it dies (a SIGKILL, a crash),
# until this script gets TERM. The child's pid is in $STACK_DIR/run/NAME.pid for fault drills.
set -u
name=$1; shift
pidfile="$STACK_DIR/run/$name.pid"
child=0
stop() {
  [ "$child" -gt 0 ] && kill -TERM "$child" 2>/dev/null && wait "$child"
  # A successor may already be running under the same name: leave its pid file alone.
  [ "$(cat "$pidfile" 2>/dev/null)" = "$child" ] && rm -f "$pidfile"
  exit 0
}
trap stop TERM INT
while :; do
  "$@" &
  child=$!
  echo "$child" > "$pidfile"
  wait "$child"
  echo "supervise: $name exited with $?; restarting in 1 s" >&2
  sleep 1
done
