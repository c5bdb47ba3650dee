#!/usr/bin/env bash
# Install the Debian packages the project runs on, only those missing. Idempotent.
set -euo pipefail
packages=(nginx libnginx-mod-http-lua libnginx-mod-http-ndk memcached firefox-esr python3-venv)
# jQuery for the $("...") web steps (lettuce.css_selector_steps), as lettuce_webdriver loaded it.
packages+=(libjs-jquery)
packages+=("$@")
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them as root:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
