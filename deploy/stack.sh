#!/usr/bin/env bash
# The production shape on one machine, every part a real engine with its own data directory and
# ports (never the machine's shared PostgreSQL or Redis):
#   HAProxy (TLS, HTTP/2, HSTS, /readyz checks, retries) -> 2 gunicorn nodes (threaded, DEBUG off)
#   -> PostgreSQL primary + streaming replica (TLS) and Redis (TLS; cache + Celery broker);
#   2 Celery workers (payments | everything else), exactly one beat; the fake Stripe as gateway.
# Usage: deploy/stack.sh up|stop|status|env|manage ARGS|fault NAME|rolling-restart|pitr-drill|browser-check|check [--short]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export STACK_DIR=${STACK_DIR:-/tmp/grocery-stack}
BASE=${STACK_PORT_BASE:-47000}
LB_HTTPS=$((BASE + 443)); LB_HTTP=$((BASE + 80)); LB_STATS=$((BASE + 404))
WEB1=$((BASE + 1)); WEB2=$((BASE + 2))
PG1=$((BASE + 432)); PG2=$((BASE + 433)); REDIS=$((BASE + 379)); STRIPE=$((BASE + 90))
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
PY=$ROOT/.venv/bin/python
RUN=$STACK_DIR/run; LOG=$STACK_DIR/log; TLS=$STACK_DIR/tls
PG() { (cd /tmp && runuser -u postgres -- "$@"); }
say() { printf '== %s\n' "$*"; }

install_packages() {
  local need=() p
  for p in haproxy redis-server postgresql openssl; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
  if [ ${#need[@]} -gt 0 ]; then
    say "installing Debian packages: ${need[*]} (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  if [ ! -x "$PY" ] || ! "$PY" -c "import httpx, prometheus_client" 2>/dev/null; then
    say "installing Python packages from PyPI (requirements.txt, requirements-dev.txt)"
    make -s install-dev
  fi
}

make_tls() {
  [ -f "$TLS/ca.crt" ] && return
  say "a local certificate authority in $TLS (trust ca.crt on the phones: see below)"
  mkdir -p "$TLS"; cd "$TLS"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=Grocery shop local CA" \
    -keyout ca.key -out ca.crt 2>/dev/null
  local ips names="DNS:localhost,DNS:shop.lan,IP:127.0.0.1" ip
  ips=$(hostname -I 2>/dev/null || true)
  for ip in $ips; do [[ $ip == *:* ]] || names+=",IP:$ip"; done
  for who in lb db redis; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$who.shop.lan" -keyout $who.key -out $who.csr 2>/dev/null
    openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
      -extfile <(printf "subjectAltName=%s\nextendedKeyUsage=serverAuth\n" "$names") -out $who.crt 2>/dev/null
  done
  cat lb.crt lb.key > lb.pem
  chmod 644 ca.crt; chmod 600 ./*.key lb.pem
  cd "$ROOT"
}

write_env() {
  [ -f "$STACK_DIR/secret_key" ] || head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > "$STACK_DIR/secret_key"
  local ca=$TLS/ca.crt hosts="127.0.0.1,localhost,shop.lan" origins="https://127.0.0.1:$LB_HTTPS,https://localhost:$LB_HTTPS,https://shop.lan:$LB_HTTPS" ip
  for ip in $(hostname -I 2>/dev/null || true); do
    [[ $ip == *:* ]] || { hosts+=",$ip"; origins+=",https://$ip:$LB_HTTPS"; }
  done
  # Quoted: the URLs carry "&", which a shell sourcing this file would take as "run in background".
  cat > "$STACK_DIR/app.env" <<ENV
DEBUG='0'
SECRET_KEY='$(cat "$STACK_DIR/secret_key")'
ALLOWED_HOSTS='$hosts'
CSRF_TRUSTED_ORIGINS='$origins'
PUBLIC_BASE_URL='https://127.0.0.1:$LB_HTTPS'
DATABASE_URL='postgres://grocery@127.0.0.1:$PG1/grocery?sslmode=verify-full&sslrootcert=$ca'
DATABASE_REPLICA_URL='postgres://grocery@127.0.0.1:$PG2/grocery?sslmode=verify-full&sslrootcert=$ca'
DB_CONNECT_RETRY_SECONDS='10'
CONN_MAX_AGE='300'
REDIS_URL='rediss://127.0.0.1:$REDIS/0?ssl_cert_reqs=required&ssl_ca_certs=$ca'
REDIS_VISIBILITY_TIMEOUT='60'
PAYMENT_GATEWAY='stripe'
STRIPE_API_BASE='http://127.0.0.1:$STRIPE'
STRIPE_SECRET_KEY='sk_test_fake'
STRIPE_PUBLISHABLE_KEY='pk_test_fake'
STRIPE_WEBHOOK_SECRET='whsec_stack'
STRIPE_TIMEOUT_SECONDS='7'
STRIPE_MAX_RETRIES='1'
RECONCILE_UNANSWERED_SECONDS='10'
RECONCILE_AFTER_SECONDS='60'
RECONCILE_EVERY_SECONDS='30'
PAYMENTS_QUEUE='payments'
LOG_FORMAT='json'
WEB_CONCURRENCY='2'
WEB_THREADS='32'
WEB_TIMEOUT='60'
NUM_PROXIES='1'
THROTTLE_ADDRESS_RATE='1000000/min'
ENV
}

pg_up() {
  if [ ! -d "$STACK_DIR/pg/primary" ]; then
    say "PostgreSQL primary on 127.0.0.1:$PG1 (TLS), data in $STACK_DIR/pg/primary"
    install -d -o postgres -g postgres "$STACK_DIR/pg" "$STACK_DIR/pg/wal-archive"
    PG "$PGBIN/initdb" -D "$STACK_DIR/pg/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    install -o postgres -g postgres -m 600 "$TLS/db.key" "$STACK_DIR/pg/primary/server.key"
    install -o postgres -g postgres -m 644 "$TLS/db.crt" "$STACK_DIR/pg/primary/server.crt"
    cat >> "$STACK_DIR/pg/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG1
unix_socket_directories = '$STACK_DIR/pg'
ssl = on
max_connections = 400
shared_buffers = 256MB
synchronous_commit = on
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $STACK_DIR/pg/wal-archive/%f && cp %p $STACK_DIR/pg/wal-archive/%f'
archive_timeout = 60
CONF
    # TLS for everyone over TCP; the local socket (for pg_ctl, backups) stays trusted.
    printf '%s\n' "local all all trust" "local replication all trust" "hostssl all all 127.0.0.1/32 trust" \
      "hostssl replication all 127.0.0.1/32 trust" > "$STACK_DIR/pg/primary/pg_hba.conf"
    PG "$PGBIN/pg_ctl" -D "$STACK_DIR/pg/primary" -l "$LOG/pg-primary.log" -w start >/dev/null
    PG psql -h "$STACK_DIR/pg" -p "$PG1" -U postgres -Xq -c "create role grocery login superuser" \
      -c "create database grocery owner grocery"
  else
    pg_running primary || PG "$PGBIN/pg_ctl" -D "$STACK_DIR/pg/primary" -l "$LOG/pg-primary.log" -w start >/dev/null
  fi
  if [ ! -d "$STACK_DIR/pg/replica" ]; then
    say "PostgreSQL streaming replica on 127.0.0.1:$PG2 (pg_basebackup over TLS)"
    # A replication slot: the primary keeps the WAL a stopped replica has not yet received.
    PG psql -h "$STACK_DIR/pg" -p "$PG1" -U postgres -XAtq -c \
      "select pg_drop_replication_slot('stack_replica') from pg_replication_slots where slot_name = 'stack_replica'"
    PG "$PGBIN/pg_basebackup" -d "host=127.0.0.1 port=$PG1 user=postgres sslmode=verify-full sslrootcert=$TLS/ca.crt" \
      -D "$STACK_DIR/pg/replica" -R -X stream -c fast -C -S stack_replica
    sed -i "s/^port = $PG1/port = $PG2/; s/^archive_mode = on/archive_mode = off/" "$STACK_DIR/pg/replica/postgresql.conf"
  fi
  pg_running replica || PG "$PGBIN/pg_ctl" -D "$STACK_DIR/pg/replica" -l "$LOG/pg-replica.log" -w start >/dev/null
}
pg_running() { PG "$PGBIN/pg_ctl" -D "$STACK_DIR/pg/$1" status >/dev/null 2>&1; }

redis_up() {
  [ -f "$RUN/redis.pid" ] && kill -0 "$(cat "$RUN/redis.pid")" 2>/dev/null && return
  say "Redis on 127.0.0.1:$REDIS (TLS only; append-only file, so queued tasks survive a restart)"
  mkdir -p "$STACK_DIR/redis"
  redis-server --port 0 --tls-port "$REDIS" --bind 127.0.0.1 --tls-cert-file "$TLS/redis.crt" \
    --tls-key-file "$TLS/redis.key" --tls-ca-cert-file "$TLS/ca.crt" --tls-auth-clients no \
    --save "" --appendonly yes --appendfsync everysec --dir "$STACK_DIR/redis" \
    --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$LOG/redis.log"
  for _ in $(seq 50); do redis_ping && return; sleep 0.1; done
  redis_ping
}
redis_ping() { redis-cli --tls --cacert "$TLS/ca.crt" -h 127.0.0.1 -p "$REDIS" ping >/dev/null 2>&1; }

supervised() {  # NAME CMD...: start under deploy/supervise.sh unless already running
  local name=$1; shift
  [ -f "$RUN/$name.sup" ] && kill -0 "$(cat "$RUN/$name.sup")" 2>/dev/null && return
  setsid "$ROOT/deploy/supervise.sh" "$name" "$@" >> "$LOG/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.sup"
}

app() { # run a manage.py command with the stack's environment
  (set -a; . "$STACK_DIR/app.env"; set +a; "$PY" manage.py "$@")
}

node_cmd() {
  echo env HOST=127.0.0.1 PORT="$1" PROMETHEUS_MULTIPROC_DIR="$STACK_DIR/metrics/web$2" \
    "$ROOT/deploy/with_env.sh" "$ROOT/.venv/bin/gunicorn" grocery.wsgi --config grocery/gunicorn.conf.py
}

web_up() {
  local n port
  for n in 1 2; do
    port=$((BASE + n))
    rm -rf "$STACK_DIR/metrics/web$n"; mkdir -p "$STACK_DIR/metrics/web$n"
    # shellcheck disable=SC2046
    supervised "web$n" $(node_cmd "$port" "$n")
  done
}

workers_up() {
  supervised worker-payments "$ROOT/deploy/with_env.sh" "$ROOT/.venv/bin/celery" -A grocery worker \
    -Q payments -P threads -c 4 -n payments@%h --without-gossip --without-mingle -l INFO
  supervised worker-labels "$ROOT/deploy/with_env.sh" "$ROOT/.venv/bin/celery" -A grocery worker \
    -Q celery -P threads -c 2 -n labels@%h --without-gossip --without-mingle -l INFO
  supervised beat "$ROOT/deploy/with_env.sh" "$ROOT/.venv/bin/celery" -A grocery beat \
    -s "$STACK_DIR/beat-schedule" -l INFO
}

haproxy_up() {
  cat > "$STACK_DIR/haproxy.cfg" <<CFG
global
    log stdout format raw local0
    stats socket $RUN/haproxy.sock mode 600 level admin
    ssl-default-bind-options ssl-min-ver TLSv1.2
    maxconn 4000
defaults
    mode http
    log global
    option httplog
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 30s
    timeout queue 30s
    # A node that drops a connection or dies mid-answer: try again on the other node. Only
    # idempotent requests are retried at layer 7 (see disable-l7-retry): a checkout is never
    # sent twice; it carries an Idempotency-Key for the client's own retries.
    retries 2
    option redispatch 1
    # 500 too: a statement cut by a database restart fails once; a GET is safe to ask again.
    retry-on conn-failure empty-response response-timeout 500 502 503 504
frontend shop
    bind :$LB_HTTPS ssl crt $TLS/lb.pem alpn h2,http/1.1   # every interface: phones on the LAN
    bind :$LB_HTTP
    http-request redirect scheme https code 301 unless { ssl_fc }
    unique-id-format %{+X}o\ %ci-%cp-%Ts-%rt-%pid
    http-request set-header X-Request-ID %[unique-id]
    http-request set-header X-Forwarded-Proto https
    option forwardfor
    http-after-response set-header Strict-Transport-Security "max-age=31536000; includeSubDomains; preload"
    log-format "%ci [%tr] %ST %B %Ta %Tr %rc %ac/%fc/%bc/%sc %b/%s %{+Q}r %ID"
    default_backend web
backend web
    balance leastconn
    http-request disable-l7-retry unless METH_GET || METH_HEAD || METH_OPTIONS || METH_PUT || METH_DELETE
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1 hdr X-Forwarded-Proto https
    http-check expect status 200
    # A check waits long enough for a node that is busy, not dead (several seconds on a loaded
    # machine); a dead one refuses the connection at once and is retried elsewhere anyway.
    timeout check 5s
    default-server check inter 2s fall 3 rise 2 maxconn 64
    server web1 127.0.0.1:$WEB1
    server web2 127.0.0.1:$WEB2
listen stats
    bind 127.0.0.1:$LB_STATS
    stats enable
    stats uri /
CFG
  haproxy -c -q -f "$STACK_DIR/haproxy.cfg"
  supervised haproxy haproxy -f "$STACK_DIR/haproxy.cfg" -db
}

stripe_up() {
  supervised fake-stripe "$PY" "$ROOT/deploy/fake_stripe_server.py" "$STRIPE"
}

wait_ready() { # URL [seconds]
  for _ in $(seq $((${2:-60} * 4))); do
    curl -sf -o /dev/null --cacert "$TLS/ca.crt" -H 'X-Forwarded-Proto: https' "$1" && return 0; sleep 0.25
  done
  echo "not ready: $1" >&2; return 1
}

up() {
  install_packages
  mkdir -p "$RUN" "$LOG" "$STACK_DIR/metrics"
  chmod 755 "$STACK_DIR"; chmod 1777 "$LOG"  # PostgreSQL runs as postgres and logs here too
  make_tls; write_env
  pg_up; redis_up; stripe_up
  say "schema and demo catalog (manage.py migrate, collectstatic, seed_demo)"
  app migrate --no-input -v0
  app collectstatic --no-input -v0
  [ -f "$STACK_DIR/seeded" ] || { app seed_demo --products "${STACK_PRODUCTS:-10000}" >/dev/null && touch "$STACK_DIR/seeded"; }
  say "web nodes on :$WEB1 and :$WEB2 (gunicorn, threaded), Celery workers and beat"
  web_up; workers_up
  wait_ready "http://127.0.0.1:$WEB1/readyz"; wait_ready "http://127.0.0.1:$WEB2/readyz"
  say "HAProxy on https://127.0.0.1:$LB_HTTPS (stats: http://127.0.0.1:$LB_STATS/)"
  haproxy_up
  wait_ready "https://127.0.0.1:$LB_HTTPS/readyz" 30
  status
  cat <<TXT

The shop: https://127.0.0.1:$LB_HTTPS/   (also https://<this machine's LAN address>:$LB_HTTPS/ for phones)
Trust the stack's CA ($TLS/ca.crt) to use the camera scanner on a phone:
  - Android: copy ca.crt to the phone, Settings > Security > Encryption & credentials >
    Install a certificate > CA certificate.
  - iPhone: AirDrop or mail ca.crt, install the profile (Settings > Profile Downloaded), then
    Settings > General > About > Certificate Trust Settings: switch on "Grocery shop local CA".
  - Desktop Chromium: certutil -d sql:\$HOME/.pki/nssdb -A -t C,, -n grocery-stack -i $TLS/ca.crt
  - curl: curl --cacert $TLS/ca.crt https://127.0.0.1:$LB_HTTPS/readyz
Staff login: create one with  deploy/stack.sh manage createsuperuser
Stop it all with  make stack-stop   (data stays in $STACK_DIR; rm -rf it for a fresh start)
TXT
}

stop_supervised() {
  local name=$1
  if [ -f "$RUN/$name.sup" ]; then
    kill -TERM "$(cat "$RUN/$name.sup")" 2>/dev/null || true
    # gunicorn finishes its requests first (graceful_timeout, 30 s)
    for _ in $(seq 400); do kill -0 "$(cat "$RUN/$name.sup")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$RUN/$name.sup"
  fi
}

stop() {
  [ -d "$RUN" ] || { echo "no stack in $STACK_DIR"; return 0; }
  local name
  for name in haproxy web1 web2 worker-payments worker-labels beat fake-stripe; do stop_supervised "$name"; done
  [ -f "$RUN/redis.pid" ] && kill "$(cat "$RUN/redis.pid")" 2>/dev/null || true
  for n in replica primary; do
    pg_running "$n" && PG "$PGBIN/pg_ctl" -D "$STACK_DIR/pg/$n" -m fast -w stop >/dev/null || true
  done
  say "stack stopped (data kept in $STACK_DIR)"
}

status() {
  local name pid state
  printf '%-16s %-8s %-28s %s\n' PART STATE WHERE PID
  for name in haproxy web1 web2 worker-payments worker-labels beat fake-stripe; do
    pid=$(cat "$RUN/$name.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then state=up; else state=down; fi
    case $name in
      haproxy) where="https://127.0.0.1:$LB_HTTPS";; web1) where="127.0.0.1:$WEB1";;
      web2) where="127.0.0.1:$WEB2";; fake-stripe) where="http://127.0.0.1:$STRIPE";;
      worker-payments) where="queue payments";; worker-labels) where="queue celery";; beat) where="schedule";;
    esac
    printf '%-16s %-8s %-28s %s\n' "$name" "$state" "$where" "$pid"
  done
  pid=$(cat "$RUN/redis.pid" 2>/dev/null || true)
  redis_ping && state=up || state=down
  printf '%-16s %-8s %-28s %s\n' redis "$state" "rediss://127.0.0.1:$REDIS" "$pid"
  for n in primary replica; do
    pg_running "$n" && state=up || state=down
    printf '%-16s %-8s %-28s %s\n' "pg-$n" "$state" "127.0.0.1:$([ $n = primary ] && echo $PG1 || echo $PG2)" \
      "$(head -n1 "$STACK_DIR/pg/$n/postmaster.pid" 2>/dev/null || true)"
  done
  if pg_running primary; then
    PG psql -h "$STACK_DIR/pg" -p "$PG1" -U postgres -XAt -F' ' -c \
      "select 'replication: ' || application_name || ' ' || state || ' lag ' || coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0) || ' bytes' from pg_stat_replication" || true
  fi
}

hap() { "$PY" - "$RUN/haproxy.sock" "$1" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n")
print(b"".join(iter(lambda: s.recv(65536), b"")).decode(), end="")
PYEOF
}

rolling_restart() {  # a deploy: each node drained at the LB, restarted, checked, put back
  local n port
  for n in 1 2; do
    port=$((BASE + n))
    hap "set server web/web$n state drain" >/dev/null
    for _ in $(seq 100); do
      # current sessions on the node (show stat: pxname,svname,qcur,qmax,scur,...)
      [ "$(hap "show stat" | awk -F, -v s="web$n" '$1=="web" && $2==s {print $5}')" = "0" ] && break; sleep 0.1
    done
    hap "set server web/web$n state maint" >/dev/null
    stop_supervised "web$n"
    rm -rf "$STACK_DIR/metrics/web$n"; mkdir -p "$STACK_DIR/metrics/web$n"
    # shellcheck disable=SC2046
    supervised "web$n" $(node_cmd "$port" "$n")
    wait_ready "http://127.0.0.1:$port/readyz"
    hap "set server web/web$n state ready" >/dev/null
    for _ in $(seq 40); do hap "show servers state web" | grep -q "web$n 127.0.0.1 2 " && break; sleep 0.25; done
  done
}

stripe_control() { curl -sf -X POST "http://127.0.0.1:$STRIPE/_control/$1" ${2:+-d "$2"} >/dev/null; }

fault() {
  case $1 in
    kill-web1) kill -KILL "$(cat "$RUN/web1.pid")";;              # the supervisor restarts it
    kill-worker) kill -KILL "$(cat "$RUN/worker-payments.pid")";;
    restart-redis) kill "$(cat "$RUN/redis.pid")"; while redis_ping; do sleep 0.1; done; sleep 1; redis_up;;
    stop-replica) PG "$PGBIN/pg_ctl" -D "$STACK_DIR/pg/replica" -m fast -w stop >/dev/null;;
    start-replica) PG "$PGBIN/pg_ctl" -D "$STACK_DIR/pg/replica" -l "$LOG/pg-replica.log" -w start >/dev/null;;
    restart-primary) PG "$PGBIN/pg_ctl" -D "$STACK_DIR/pg/primary" -l "$LOG/pg-primary.log" -m fast -w restart >/dev/null;;
    rolling-restart) rolling_restart;;
    gateway-slow) stripe_control slow 5;;
    gateway-5xx) stripe_control errors 500;;
    gateway-timeout) stripe_control timeout;;
    gateway-ok) stripe_control ok;;
    *) echo "unknown fault $1" >&2; return 2;;
  esac
}

pitr_drill() {  # base backup + WAL archive -> a fresh cluster at a point in time; the shop reads it
  local B=$STACK_DIR/pitr PORT=$((BASE + 442)) P=${PITR_PRODUCT:-10000} Q was target got answer
  Q() { PG psql -h "$STACK_DIR/pg" -p "$1" -U postgres -d grocery -XAtq -c "$2"; }
  rm -rf "$B"; install -d -o postgres -g postgres "$B"
  say "base backup of the primary (WAL from the archive only: -X none)"
  PG "$PGBIN/pg_basebackup" -h "$STACK_DIR/pg" -p "$PG1" -U postgres -D "$B/data" -X none -c fast
  was=$(Q "$PG1" "select stock from catalog_product where product_id = '$P'")
  Q "$PG1" "update catalog_product set stock = 1111 where product_id = '$P'"
  sleep 1; target=$(Q "$PG1" "select now()"); sleep 1
  Q "$PG1" "update catalog_product set stock = 2222 where product_id = '$P'"   # the mistake to undo
  local wal; wal=$(Q "$PG1" "select pg_walfile_name(pg_current_wal_lsn())")
  Q "$PG1" "select pg_switch_wal()" >/dev/null
  for _ in $(seq 100); do [ -f "$STACK_DIR/pg/wal-archive/$wal" ] && break; sleep 0.1; done
  say "restore into a fresh cluster on :$PORT, recovery_target_time = '$target'"
  rm -f "$B/data/standby.signal" "$B/data/postmaster.pid"; PG touch "$B/data/recovery.signal"
  cat >> "$B/data/postgresql.auto.conf" <<CONF
port = $PORT
archive_mode = off
primary_conninfo = ''
primary_slot_name = ''
restore_command = 'cp $STACK_DIR/pg/wal-archive/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
  sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '$B'|" "$B/data/postgresql.conf"
  PG "$PGBIN/pg_ctl" -D "$B/data" -l "$LOG/pg-pitr.log" -w start >/dev/null
  for _ in $(seq 100); do [ "$(PG psql -h "$B" -p "$PORT" -U postgres -XAtq -c 'select pg_is_in_recovery()')" = f ] && break; sleep 0.2; done
  got=$(PG psql -h "$B" -p "$PORT" -U postgres -d grocery -XAtq -c "select stock from catalog_product where product_id = '$P'")
  answer=$(cd "$ROOT" && set -a && . "$STACK_DIR/app.env" && set +a && \
    DATABASE_URL="postgres://grocery@127.0.0.1:$PORT/grocery?sslmode=verify-full&sslrootcert=$TLS/ca.crt" \
    DATABASE_REPLICA_URL='' REDIS_URL='' "$PY" manage.py shell -c "
from django.test import Client
r = Client(SERVER_NAME='127.0.0.1').get('/api/products/$P', secure=True)
print(r.status_code, r.json()['stock'])" 2>/dev/null | tail -n1)
  PG "$PGBIN/pg_ctl" -D "$B/data" -m fast -w stop >/dev/null; rm -rf "$B"
  Q "$PG1" "update catalog_product set stock = $was where product_id = '$P'"
  echo "product $P: 1111 before $target, 2222 after; restored cluster has $got; the shop on it answers: $answer"
  [ "$got" = "1111.000" ] && [ "$answer" = "200 1111" ]
}

case ${1:-} in
  up) up;;
  stop) stop;;
  status) status;;
  env) cat "$STACK_DIR/app.env";;
  manage) shift; app "$@";;
  fault) fault "$2";;
  rolling-restart) rolling_restart;;
  pitr-drill) pitr_drill;;
  browser-check)  # the camera scan through the LB in Chromium trusting the stack's CA
    dpkg -s libnss3-tools >/dev/null 2>&1 || { say "installing libnss3-tools (certutil)"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnss3-tools >/dev/null; }
    P=${2:-10000}
    NAME=$(PG psql -h "$STACK_DIR/pg" -p "$PG1" -U postgres -d grocery -XAtq -c "select name from catalog_product where product_id = '$P'")
    STACK_LB="https://127.0.0.1:$LB_HTTPS" STACK_CA="$TLS/ca.crt" "$PY" deploy/browser_check.py "$P" "$NAME" "${3:-}";;
  check) shift; (set -a; . "$STACK_DIR/app.env"; set +a; export STACK_LB="https://127.0.0.1:$LB_HTTPS" STACK_CA="$TLS/ca.crt" STACK_STRIPE="http://127.0.0.1:$STRIPE"; exec "$PY" deploy/stack_check.py "$@");;
  *) echo "usage: $0 up|stop|status|env|manage ARGS|fault NAME|rolling-restart|check [--short]" >&2; exit 2;;
esac
