#!/usr/bin/env bash
# Builds the Lambdock runtime base images without any registry: each image is FROM scratch on a
# root filesystem staged from this host.
#
#   images/build.sh            # builds lambdock/provided:al2023 and lambdock/provided:latest
#
# Needs: docker, and the host packages ca-certificates and tzdata (for the CA bundle and
# /usr/share/zoneinfo).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ca_bundle=/etc/ssl/certs/ca-certificates.crt
zoneinfo=/usr/share/zoneinfo

die() { echo "images/build.sh: $*" >&2; exit 1; }

command -v docker >/dev/null || die "docker is not installed"
[ -s "$ca_bundle" ] || die "$ca_bundle is missing: install it with 'apt-get install -y ca-certificates'"
[ -e "$zoneinfo/UTC" ] || die "$zoneinfo is missing: install it with 'apt-get install -y tzdata'"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# stage_base ROOT: the filesystem every runtime image shares.
stage_base() {
	local root="$1"
	install -d -m 0755 "$root"/etc/ssl/certs "$root"/etc/pki/tls/certs "$root"/usr/share \
		"$root"/var/task "$root"/var/runtime "$root"/opt "$root"/lambdock
	install -d -m 1777 "$root"/tmp
	install -m 0644 "$ca_bundle" "$root"/etc/ssl/certs/ca-certificates.crt
	# Amazon Linux keeps the bundle here; functions built for Lambda may look for it.
	ln -s ../../../ssl/certs/ca-certificates.crt "$root"/etc/pki/tls/certs/ca-bundle.crt
	cp -a "$zoneinfo" "$root"/usr/share/zoneinfo
	# sbx_user1051 (993:990) is the user functions run as on Lambda.
	cat >"$root"/etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
sbx_user1051:x:993:990::/tmp:/sbin/nologin
PASSWD
	cat >"$root"/etc/group <<'GROUP'
root:x:0:
sbx_user1051:x:990:
GROUP
	chmod 0644 "$root"/etc/passwd "$root"/etc/group
}

# build NAME TAG...: builds images/NAME/Dockerfile on a staged root filesystem.
build() {
	local name="$1"; shift
	local ctx="$stage/$name"
	mkdir -p "$ctx"
	stage_base "$ctx/rootfs"
	cp "$here/$name/Dockerfile" "$ctx/Dockerfile"
	local tags=()
	for tag in "$@"; do tags+=(-t "$tag"); done
	docker build --pull=false "${tags[@]}" "$ctx"
}

build provided lambdock/provided:al2023 lambdock/provided:latest
