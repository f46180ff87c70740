#!/usr/bin/env bash
# Installs the Debian packages ztpgate builds against and its tests drive, when any is missing.
# Uses sudo when not run as root. Safe to run repeatedly: it does nothing when all are present.
set -euo pipefail

packages=(
  build-essential pkg-config ca-certificates
  libpcap-dev libnftnl-dev libmnl-dev   # capture and nftables libraries
  nftables iproute2 tcpdump             # firewall, network namespaces, captures
  curl openssl udhcpc tftp-hpa          # real clients used by the tests
  dnsmasq-base                          # third-party DHCP server for tests/dhcp_netns.rs (relay mode)
  tftpd-hpa                             # real TFTP server for the emulated switch
  python3                               # TCP listener/client in tests/firewall_netns.rs
  tshark                                # independent CDP dissector (tests/cdp_fixtures.rs)
  time                                  # GNU time: peak RSS of the readers in bench pcap-audit
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
