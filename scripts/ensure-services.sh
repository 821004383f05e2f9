#!/usr/bin/env bash
# Starts Redis and NATS (JetStream) on 127.0.0.1 if they are installed and not already running.
# The backplane tests use them through REDIS_URL / NATS_URL.
set -u
if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
  fi
fi
if command -v nats-server >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  mkdir -p /tmp/duplex-nats
  nohup nats-server -a 127.0.0.1 -p 4222 -js -sd /tmp/duplex-nats >/tmp/duplex-nats.log 2>&1 &
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && break; sleep 0.1; done
fi
exit 0
