#!/bin/sh
# Installs the restic-manager agent on a Linux host and enrols it with the server.
#
# The server serves this file at /install/install.sh with its URL filled in (the one
# placeholder below, replaced verbatim):
#   curl -fsSL https://backup.example.com/install/install.sh | sudo RM_TOKEN=<token> sh
# Options (or environment):
#   --token TOKEN     RM_TOKEN    one-time enrolment token (Hosts -> Add host); not needed to
#                                 upgrade an already enrolled host
#   --tls-pin SHA256  RM_TLS_PIN  SHA-256 of the server's TLS leaf certificate (self-signed proxy)
#   --server URL      RM_SERVER   server URL when this file was not served by the server
# RM_INSTALL_ROOT installs under another root and leaves systemd alone (used by the tests).
#
# It downloads the agent for this architecture, checks its SHA-256, enrols, installs and starts a
# hardened systemd unit, then lists restic jobs already scheduled by cron or systemd timers with
# the commands to disable them. It disables nothing itself.
set -eu

SERVER_URL="${RM_SERVER:-__SERVER_URL__}"
TOKEN="${RM_TOKEN:-}"
TLS_PIN="${RM_TLS_PIN:-}"
ROOT="${RM_INSTALL_ROOT:-}"

BIN="$ROOT/usr/local/bin/restic-manager-agent"
CONFIG_DIR="$ROOT/etc/restic-manager"
CONFIG="$CONFIG_DIR/agent.yaml"
STATE_DIR="$ROOT/var/lib/restic-manager"
UNIT_NAME="restic-manager-agent.service"
UNIT="$ROOT/etc/systemd/system/$UNIT_NAME"

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,16s/^# \{0,1\}//p' "$0" 2>/dev/null || true
  exit "${1:-0}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --token) [ $# -ge 2 ] || die "--token needs a value"; TOKEN="$2"; shift 2 ;;
    --token=*) TOKEN="${1#*=}"; shift ;;
    --tls-pin) [ $# -ge 2 ] || die "--tls-pin needs a value"; TLS_PIN="$2"; shift 2 ;;
    --tls-pin=*) TLS_PIN="${1#*=}"; shift ;;
    --server) [ $# -ge 2 ] || die "--server needs a value"; SERVER_URL="$2"; shift 2 ;;
    --server=*) SERVER_URL="${1#*=}"; shift ;;
    -h | --help) usage 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done

# ---------------------------------------------------------------------------------------------
# Preconditions
# ---------------------------------------------------------------------------------------------

case "$SERVER_URL" in
  __*__ | "") die "no server URL: download this script from your restic-manager server (/install/install.sh) or pass --server URL" ;;
  http://* | https://*) SERVER_URL="${SERVER_URL%/}" ;;
  *) die "server URL must start with http:// or https://, got: $SERVER_URL" ;;
esac

[ "$(uname -s)" = "Linux" ] || die "this installer is for Linux; on Windows use install.ps1"
if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (e.g. curl -fsSL $SERVER_URL/install/install.sh | sudo RM_TOKEN=... sh)"
fi

case "$(uname -m)" in
  x86_64 | amd64) ARCH="x64" ;;
  aarch64 | arm64) ARCH="arm64" ;;
  *) die "unsupported architecture $(uname -m): the agent is built for x86_64 and aarch64" ;;
esac

if [ -n "$TLS_PIN" ]; then
  TLS_PIN="$(printf '%s' "$TLS_PIN" | tr -d ': ' | tr 'A-F' 'a-f')"
  printf '%s' "$TLS_PIN" | grep -Eq '^[0-9a-f]{64}$' || die "--tls-pin must be 64 hex digits (the SHA-256 of the server certificate)"
fi

if [ -f "$CONFIG" ] && [ -z "$TOKEN" ]; then
  say "This host is already enrolled ($CONFIG): upgrading the agent binary only."
elif [ -z "$TOKEN" ]; then
  die "no enrolment token: create one on the server under Hosts -> Add host and pass RM_TOKEN=... or --token"
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT INT TERM

# ---------------------------------------------------------------------------------------------
# Download, pinned when asked: the pin is checked with openssl, then curl is tied to the same
# public key, so the binary and its checksum come from the pinned server only.
# ---------------------------------------------------------------------------------------------

PINNED_KEY=""
if [ -n "$TLS_PIN" ]; then
  case "$SERVER_URL" in https://*) ;; *) die "--tls-pin needs an https:// server URL" ;; esac
  command -v openssl >/dev/null 2>&1 || die "--tls-pin needs openssl to check the certificate: install openssl"
  command -v curl >/dev/null 2>&1 || die "--tls-pin needs curl (wget cannot pin a certificate): install curl"
  hostport="${SERVER_URL#https://}"
  hostport="${hostport%%/*}"
  case "$hostport" in
    \[*\]:*) host="${hostport%]:*}"; host="${host#[}"; port="${hostport##*]:}" ;;
    \[*\]) host="${hostport#[}"; host="${host%]}"; port=443 ;;
    *:*) host="${hostport%:*}"; port="${hostport##*:}" ;;
    *) host="$hostport"; port=443 ;;
  esac
  openssl s_client -connect "$host:$port" -servername "$host" </dev/null 2>/dev/null |
    openssl x509 -outform PEM >"$TMP/server.pem" 2>/dev/null ||
    die "cannot read the TLS certificate of $host:$port"
  actual="$(openssl x509 -in "$TMP/server.pem" -outform DER | openssl dgst -sha256 | sed 's/^.*= *//')"
  [ "$actual" = "$TLS_PIN" ] || die "TLS pin mismatch: $host:$port presented a certificate with SHA-256 $actual, expected $TLS_PIN. Nothing was downloaded."
  PINNED_KEY="$(openssl x509 -in "$TMP/server.pem" -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | openssl base64 -A)"
fi

download() {
  if [ -n "$PINNED_KEY" ]; then
    # --insecure skips CA validation only; --pinnedpubkey is still enforced.
    curl -fsSL --insecure --pinnedpubkey "sha256//$PINNED_KEY" -o "$2" "$1"
  elif command -v curl >/dev/null 2>&1; then
    curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "neither curl nor wget is installed: install one of them"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    openssl dgst -sha256 "$1" | sed 's/^.*= *//'
  fi
}

say "Downloading the restic-manager agent for linux-$ARCH from $SERVER_URL ..."
download "$SERVER_URL/agent/binary.sha256?os=linux&arch=$ARCH" "$TMP/agent.sha256" ||
  die "cannot download $SERVER_URL/agent/binary.sha256?os=linux&arch=$ARCH"
download "$SERVER_URL/agent/binary?os=linux&arch=$ARCH" "$TMP/agent" ||
  die "cannot download $SERVER_URL/agent/binary?os=linux&arch=$ARCH"
expected="$(cut -d' ' -f1 <"$TMP/agent.sha256" | tr 'A-F' 'a-f')"
printf '%s' "$expected" | grep -Eq '^[0-9a-f]{64}$' || die "the server sent no valid SHA-256 for the agent binary"
actual="$(sha256_of "$TMP/agent")"
[ "$actual" = "$expected" ] || die "checksum mismatch for the agent binary (expected $expected, got $actual): not installing it"
chmod 0755 "$TMP/agent"
"$TMP/agent" version >/dev/null 2>&1 || die "the downloaded agent does not run on this host"
say "Verified agent $("$TMP/agent" version) (sha256 $actual)."

# ---------------------------------------------------------------------------------------------
# Install and enrol
# ---------------------------------------------------------------------------------------------

mkdir -p "$(dirname "$BIN")" "$CONFIG_DIR" "$STATE_DIR"
chmod 0700 "$CONFIG_DIR" "$STATE_DIR"
# Copy then rename, so a running agent keeps its old binary until it is restarted.
cp "$TMP/agent" "$BIN.new"
mv -f "$BIN.new" "$BIN"
say "Installed $BIN."

if [ -n "$TOKEN" ]; then
  set -- enroll --server "$SERVER_URL" --config "$CONFIG"
  [ -n "$TLS_PIN" ] && set -- "$@" --tls-pin "$TLS_PIN"
  # A new token for an enrolled host means the operator wants to re-enrol it.
  [ -f "$CONFIG" ] && set -- "$@" --force
  # The token travels in the environment, never in argv (visible to every user in ps).
  RM_TOKEN="$TOKEN" "$BIN" "$@" || die "enrolment failed (see the message above); nothing was started"
fi

if command -v restic >/dev/null 2>&1; then
  say "restic found: $(restic version 2>/dev/null | head -n 1)"
else
  warn "restic is not installed; install it (e.g. apt-get install restic, dnf install restic) — the server shows the host as 'restic missing' until then"
fi

# ---------------------------------------------------------------------------------------------
# systemd unit (kept identical to deploy/restic-manager-agent.service by a test)
# ---------------------------------------------------------------------------------------------

mkdir -p "$(dirname "$UNIT")"
cat >"$UNIT.new" <<'UNIT_EOF'
[Unit]
Description=restic-manager agent (runs restic backups for the restic-manager server)
After=network-online.target
Wants=network-online.target
# Keep retrying a flapping network forever; fatal exits are handled by RestartPreventExitStatus.
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=/usr/local/bin/restic-manager-agent run
Environment=RM_AGENT_CONFIG=/etc/restic-manager/agent.yaml
# restic's cache: ~/.cache is read-only under ProtectHome, so point restic at the unit's cache dir.
Environment=RESTIC_CACHE_DIR=/var/cache/restic-manager
CacheDirectory=restic-manager
CacheDirectoryMode=0700
StateDirectory=restic-manager
StateDirectoryMode=0700
Restart=on-failure
RestartSec=10
# 3 = token refused or host revoked, 4 = agent protocol too old: a restart cannot fix either.
RestartPreventExitStatus=3 4
TimeoutStopSec=30
UMask=0077

# Root, because backups must read every file; the sandbox below takes away what reading needs not.
User=root
NoNewPrivileges=yes
ProtectSystem=strict
# The config (re-enrolment, token rotation) and the secrets file + spool are the only writes.
# Restores write too: add their targets with `systemctl edit restic-manager-agent`
# ([Service] ReadWritePaths=/srv/restore); an in-place restore needs ProtectSystem=full.
ReadWritePaths=/var/lib/restic-manager /etc/restic-manager
# read-only, not yes: backups need to read /home and /root.
ProtectHome=read-only
# Note: PrivateTmp hides the host's /tmp and /var/tmp, so never restore into them.
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
PrivateMounts=yes
# Reading everything, and restoring owners, modes and file capabilities; CAP_SETUID/SETGID let
# backup hooks run a command as another user (e.g. a database dump as postgres).
CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE CAP_FOWNER CAP_CHOWN CAP_FSETID CAP_SETFCAP CAP_SETUID CAP_SETGID
# MemoryDenyWriteExecute= is deliberately absent: the agent is a Bun-compiled binary and Bun's
# JavaScriptCore JIT maps writable+executable memory; with it set the agent dies at start.

[Install]
WantedBy=multi-user.target
UNIT_EOF
mv -f "$UNIT.new" "$UNIT"
chmod 0644 "$UNIT"

if [ -n "$ROOT" ]; then
  say "RM_INSTALL_ROOT is set: wrote $UNIT, not touching systemd."
elif [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload
  systemctl enable restic-manager-agent.service >/dev/null 2>&1 || die "systemctl enable restic-manager-agent failed"
  systemctl restart restic-manager-agent.service || die "the agent did not start: journalctl -u restic-manager-agent -n 50"
  sleep 2
  if systemctl is-active --quiet restic-manager-agent.service; then
    say "The agent is running: the host turns online in the server's Hosts list within seconds."
  else
    warn "the agent is not running; see: journalctl -u restic-manager-agent -n 50"
  fi
  say "Logs: journalctl -u restic-manager-agent -f    Status: restic-manager-agent status"
else
  warn "systemd is not running here; start the agent yourself: $BIN run"
fi

# ---------------------------------------------------------------------------------------------
# Existing restic schedules: listed with the command to disable each. Nothing is changed.
# ---------------------------------------------------------------------------------------------

found=0
report() {
  # $1 what, $2 where (lines), $3 how to disable
  if [ "$found" -eq 0 ]; then
    say ""
    say "Existing restic schedules on this host. restic-manager leaves them alone; if they back up"
    say "into the same repository, disable them to avoid double backups and lock conflicts:"
  fi
  found=$((found + 1))
  say ""
  say "  $1"
  printf '%s\n' "$2" | sed 's/^/      /'
  say "    disable: $3"
}

for file in "$ROOT"/etc/cron.d/*; do
  [ -f "$file" ] || continue
  lines="$(grep -n -i restic "$file" 2>/dev/null | grep -v -i 'restic-manager' || true)"
  [ -n "$lines" ] || continue
  name="$(basename "$file")"
  report "cron file ${file#"$ROOT"}" "$lines" "mkdir -p /root/disabled-cron && mv ${file#"$ROOT"} /root/disabled-cron/$name"
done

if [ -f "$ROOT/etc/crontab" ]; then
  lines="$(grep -n -i restic "$ROOT/etc/crontab" 2>/dev/null || true)"
  [ -n "$lines" ] && report "/etc/crontab" "$lines" "sed -i.bak '/restic/s/^/# disabled: /' /etc/crontab"
fi

for period in hourly daily weekly monthly; do
  for file in "$ROOT/etc/cron.$period"/*; do
    [ -f "$file" ] || continue
    grep -q -i restic "$file" 2>/dev/null || continue
    lines="$(grep -n -i restic "$file" | head -n 5)"
    # run-parts skips files that are not executable.
    report "cron.$period script ${file#"$ROOT"}" "$lines" "chmod -x ${file#"$ROOT"}"
  done
done

for spool in "$ROOT/var/spool/cron/crontabs" "$ROOT/var/spool/cron"; do
  [ -d "$spool" ] || continue
  for file in "$spool"/*; do
    [ -f "$file" ] || continue
    lines="$(grep -n -i restic "$file" 2>/dev/null | grep -v '^[0-9]*:[[:space:]]*#' || true)"
    [ -n "$lines" ] || continue
    user="$(basename "$file")"
    report "crontab of user $user" "$lines" "crontab -u $user -l | sed '/restic/s/^/# disabled: /' | crontab -u $user -"
  done
done

if [ -z "$ROOT" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  for timer in $(systemctl list-timers --all --no-legend --plain 2>/dev/null | grep -o '[^[:space:]]*\.timer' | sort -u); do
    service="$(systemctl show -p Unit --value "$timer" 2>/dev/null || true)"
    case "$service" in restic-manager-agent.service) continue ;; esac
    if printf '%s %s' "$timer" "$service" | grep -q -i restic ||
      systemctl cat "$service" 2>/dev/null | grep -q -i restic; then
      report "systemd timer $timer (runs $service)" "$(systemctl cat "$service" 2>/dev/null | grep -i '^ExecStart' || true)" "systemctl disable --now $timer"
    fi
  done
fi

if [ "$found" -eq 0 ]; then
  say "No other restic schedules found (cron, systemd timers)."
fi
say ""
say "Done."
