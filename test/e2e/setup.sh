#!/usr/bin/env bash
# Installs what test/e2e/runVsCode.ts needs to run the extension in a real VS Code:
# Debian packages (Chromium, the native-build toolchain, krb5 headers, ripgrep) and
# test/e2e/harness (code-server 4.96.4 = VS Code 1.96.4 server + web workbench, and
# playwright-core), following ../shared/docs/vscode-e2e.md §2 and §7.
#
# Idempotent: does nothing when the packages are there and the harness was built
# from the same lockfile for the same Node ABI. FORCE=1 rebuilds the harness.
#
# Why not a plain `npm ci` in harness/: code-server's lib/vscode/npm-shrinkwrap.json
# pins @vscode/proxy-agent to a GitHub commit, and its install script downloads
# ripgrep from GitHub. So: install without scripts, point that one dependency at the
# registry's tarball of the same release (identical integrity), seed ripgrep's
# download cache from Debian's rg (same version, 13.0.0), then run the scripts.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
H=$HERE/harness
CS=$H/node_modules/code-server
VSC=$CS/lib/vscode
STATE=$H/node_modules/.e2e-setup     # inside node_modules: removed with it, never committed
APT_PACKAGES=(chromium libkrb5-dev ripgrep pkg-config python3 make g++ curl)
RG_PACKAGE_VERSION=1.15.9            # @vscode/ripgrep in code-server 4.96.4's shrinkwrap
RG_RELEASE=v13.0.0-10                # the ripgrep-prebuilt release that package downloads

t0=$SECONDS
say() { echo "e2e setup: $*"; }
took() { echo "$(( SECONDS - $1 )) s"; }

# ---- 1. Debian packages ------------------------------------------------------------
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
else
  # Not Debian: check for the tools themselves.
  for c in chromium rg pkg-config python3 make g++ curl; do command -v "$c" >/dev/null || missing+=("$c"); done
  [ -e /usr/include/gssapi/gssapi.h ] || missing+=("krb5 headers (gssapi/gssapi.h)")
fi
if [ ${#missing[@]} -eq 0 ]; then
  say "apt packages present (${APT_PACKAGES[*]})"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  t=$SECONDS
  say "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  say "apt packages installed in $(took $t)"
else
  {
    echo "e2e setup: missing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ] && command -v apt-get >/dev/null; then
      echo "e2e setup: installing them needs root; run once:"
      echo "    sudo apt-get update && sudo apt-get install -y ${APT_PACKAGES[*]}"
      echo "e2e setup: then run this again (or npm test)."
    else
      echo "e2e setup: this script installs them with apt-get (Debian/Ubuntu); elsewhere install the equivalents by hand."
    fi
  } >&2
  exit 1
fi

# ---- 2. The harness (code-server + playwright-core) ---------------------------------
stamp="lock=$(sha256sum "$H/package-lock.json" | cut -d' ' -f1) node=$(node -p 'process.versions.modules')"
built() {
  [ -x "$VSC/node_modules/@vscode/ripgrep/bin/rg" ] &&
    [ -f "$VSC/node_modules/node-pty/build/Release/pty.node" ] &&
    [ -f "$H/node_modules/playwright-core/package.json" ] &&
    [ "$(cat "$STATE/stamp" 2>/dev/null)" = "$stamp" ]
}
if [ "${FORCE:-0}" != 1 ] && built; then
  say "harness already built (code-server $(node -p "require('$CS/package.json').version"), playwright-core $(node -p "require('$H/node_modules/playwright-core/package.json').version")); nothing to do"
  say "done in $(took $t0)"
  exit 0
fi

cd "$H"
t=$SECONDS
say "npm ci --ignore-scripts in test/e2e/harness"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
say "extracted in $(took $t)"
mkdir -p "$STATE"

# Seed @vscode/ripgrep's download cache; its postinstall looks there before any request.
case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64 | arm64) rg_target=aarch64-unknown-linux-musl ;;
  *) echo "e2e setup: no ripgrep cache recipe for $(uname -m)" >&2; exit 1 ;;
esac
rg_cache="$(node -p "require('os').tmpdir()")/vscode-ripgrep-cache-$RG_PACKAGE_VERSION"
rg_tar="$rg_cache/ripgrep-$RG_RELEASE-$rg_target.tar.gz"
seed=$(mktemp -d)
cp "$(command -v rg)" "$seed/rg"
mkdir -p "$rg_cache"
tar czf "$rg_tar" -C "$seed" rg
rm -rf "$seed"
rg_version=$(rg --version); say "seeded the ripgrep cache with ${rg_version%%$'\n'*} ($rg_tar)"

# Point @vscode/proxy-agent at the registry tarball of the same release (same sha512).
reg=$(npm config get registry); reg=${reg%/}
shrinkwrap=$VSC/npm-shrinkwrap.json
sed -i "s#git+ssh://git@github.com/microsoft/vscode-proxy-agent.git\#0803e0a7d1249bcb64ae9d256d0ee732b7246ea5#$reg/@vscode/proxy-agent/-/proxy-agent-0.27.0.tgz#" "$shrinkwrap"
if grep -q 'vscode-proxy-agent.git' "$shrinkwrap" || ! grep -q "proxy-agent-0.27.0.tgz" "$shrinkwrap"; then
  echo "e2e setup: could not patch @vscode/proxy-agent in $shrinkwrap (code-server version changed?)" >&2
  exit 1
fi
say "patched lib/vscode/npm-shrinkwrap.json: @vscode/proxy-agent 0.27.0 from $reg"

# Run the install scripts: code-server's postinstall installs lib/vscode's dependencies
# and builds the native modules (node-pty, spdlog, kerberos, argon2, ...) with node-gyp.
t=$SECONDS
say "npm rebuild (code-server's postinstall; native modules; about a minute on 2 cores)"
# npm_config_unsafe_perm: code-server's postinstall.sh refuses to run as root without
# it; npm 11 no longer knows the option (it warns) but still passes it to the script.
if ! npm_config_unsafe_perm=true npm rebuild --foreground-scripts >"$STATE/rebuild.log" 2>&1; then
  tail -40 "$STATE/rebuild.log" >&2
  echo "e2e setup: npm rebuild failed; full log: $STATE/rebuild.log" >&2
  exit 1
fi
echo "$stamp" >"$STATE/stamp"
if ! built; then
  echo "e2e setup: npm rebuild succeeded but ripgrep or node-pty is missing; see $STATE/rebuild.log" >&2
  exit 1
fi
say "built in $(took $t) ($(du -sm "$H/node_modules" | cut -f1) MB; log: $STATE/rebuild.log)"
say "done in $(took $t0)"
