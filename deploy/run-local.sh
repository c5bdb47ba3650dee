#!/usr/bin/env bash
# `make run`: the whole stack on loopback with demo content. Arguments come from the Makefile.
set -euo pipefail
export NGINX_LISTEN=$1 APP_BIND=$2 MEMCACHED_PORT=$3 RUN_DIR=$4
# Metrics of this run only (cachekeys.metrics): every process below writes its counters here.
export PROMETHEUS_MULTIPROC_DIR="$RUN_DIR/metrics"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && install -d -m 0755 "$PROMETHEUS_MULTIPROC_DIR"
manage=(.venv/bin/python manage.py)

"${manage[@]}" migrate --noinput -v 0
"${manage[@]}" collectstatic --noinput -v 0
"${manage[@]}" seed_demo
# A demo editor account, password kept in var/ (git-ignored), so the admin can be tried.
[ -s var/admin_password ] || (umask 077 && .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(12))" > var/admin_password)
if ! "${manage[@]}" shell -c "from django.contrib.auth.models import User; raise SystemExit(not User.objects.filter(username='admin').exists())"; then
  DJANGO_SUPERUSER_PASSWORD=$(cat var/admin_password) "${manage[@]}" createsuperuser --noinput --username admin --email admin@example.com
fi
"${manage[@]}" nginx_config --standalone --listen "$NGINX_LISTEN" --app "$APP_BIND" \
  --memcached "127.0.0.1:$MEMCACHED_PORT" --run-dir "$RUN_DIR" > "$RUN_DIR/nginx.conf"
nginx -t -q -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR"
# memcached refuses to run as root without a user to switch to.
if [ "$(id -u)" -eq 0 ]; then export MEMCACHED_USER="-u nobody"; else export MEMCACHED_USER=""; fi

echo "The magazine is at http://$NGINX_LISTEN/ ; editors: http://$NGINX_LISTEN/admin/ (admin / $(cat var/admin_password)). Ctrl-C stops it."
exec .venv/bin/honcho -f deploy/Procfile -d . start
