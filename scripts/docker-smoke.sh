#!/usr/bin/env bash
# Build the production image and check that it starts, migrates and serves: /healthz answers
# and /readyz says the database (SQLite in the container's instance folder) is reachable.
# Skipped, with a message, where no Docker engine runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! docker info >/dev/null 2>&1; then
  echo "docker-smoke: skipped, no Docker engine running"
  exit 0
fi
docker build -q -t piaa:smoke . >/dev/null
name="piaa-smoke-$$"
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
docker run -d --name "$name" -p 127.0.0.1::8000 -e PIAA_SECRET_KEY=smoke piaa:smoke >/dev/null
port=$(docker port "$name" 8000/tcp | head -1 | sed 's/.*://')
for _ in $(seq 60); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/healthz"
echo
curl -sS "http://127.0.0.1:$port/readyz" | tee /dev/stderr | grep -q '"database":{[^}]*"ok":true' \
  || { docker logs "$name" | tail -50; echo "docker-smoke: the database check failed"; exit 1; }
echo "docker-smoke: the image serves"
