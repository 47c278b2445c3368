#!/bin/sh
# One-shot setup of the compose deployment (compose.yaml, service `setup`), run before the broker
# and the replicas start, on every `docker compose up`:
#   1. the database migrations, once, before any replica starts (`rollekort serve` would
#      migrate too, under an advisory lock; then it finds the schema at head);
#   2. Mosquitto's password file and ACL from the offices' `mqtt:` sections (`rollekort mqtt
#      acl`), beside the shipped deploy/mosquitto/mosquitto.conf, in the broker's config volume;
#   3. the keys every replica must share, generated once in the shared data volume: the
#      timeline's chain key (docs/integrity.md) and the Web Push VAPID key. Two replicas with
#      different chain keys would write timelines the other calls broken.
# Paths are variables so tests/unit/test_compose.py can run this script outside a container.
set -eu
OFFICES="${ROLLEKORT_CONFIG:-/offices}"
BROKER_DIR="${BROKER_DIR:-/broker}"
SHIPPED_MOSQUITTO="${SHIPPED_MOSQUITTO:-/shipped/mosquitto.conf}"
DATA_DIR="${ROLLEKORT_DATA_DIR:-/data}"
RUN_AS="${RUN_AS:-10001:10001}"

rollekort db upgrade

rollekort mqtt acl --config "$OFFICES" --out "$BROKER_DIR"
mv "$BROKER_DIR/passwords" "$BROKER_DIR/passwd"
cp "$SHIPPED_MOSQUITTO" "$BROKER_DIR/mosquitto.conf"
chmod 0600 "$BROKER_DIR/passwd" "$BROKER_DIR/acl"  # the image's entrypoint gives them to mosquitto

python - "$DATA_DIR" <<'PY'
import sys
from pathlib import Path

from app.adapters.db.chain_key import load_chain_key
from app.adapters.push.vapid import load_or_create

data = Path(sys.argv[1])
load_chain_key(None, None, data)  # generated (mode 0600) only when missing
load_or_create(None, data / "rollekort-vapid.pem")
PY
if [ "$(id -u)" = 0 ]; then
  chown -R "$RUN_AS" "$DATA_DIR"  # the replicas run as the image's unprivileged user
fi
echo "setup done: schema at head, broker accounts written, keys in $DATA_DIR"
