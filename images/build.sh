#!/usr/bin/env bash
# Builds the Lambdock runtime base images without any registry. Every image is FROM scratch on a
# root filesystem staged here:
#   - provided: the host's CA bundle and zoneinfo, passwd/group (no libc, no shell);
#   - python and nodejs: Debian's own packages. apt-get resolves the closure of the packages the
#     runtime needs (with an empty dpkg status, so nothing else: no apt, no perl) against the
#     suite's archive, downloads it into a cache, and dpkg-deb unpacks it; then the runtime
#     interface client of images/<family>/runtime/ goes to /var/runtime.
#
#   images/build.sh                 # builds every image, skipping those already built
#   images/build.sh python3.13      # builds the named runtimes' images only
#   LAMBDOCK_IMAGES_FORCE=1 images/build.sh    # rebuilds even when up to date
#
# An image is up to date when its label lambdock.inputs equals the hash of what it is built from
# (this script, the Dockerfile, the runtime files, the package list). Downloaded packages are
# cached in $LAMBDOCK_IMAGE_CACHE (default ~/.cache/lambdock/images), the package lists for a
# day. Needs: docker, apt-get and dpkg-deb (Debian/Ubuntu), and the host packages ca-certificates,
# tzdata and debian-archive-keyring.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ca_bundle=/etc/ssl/certs/ca-certificates.crt
zoneinfo=/usr/share/zoneinfo
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror="${LAMBDOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${LAMBDOCK_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambdock/images}"

die() { echo "images/build.sh: $*" >&2; exit 1; }

# The images are for the host's architecture (Debian's name for it: amd64, arm64).
arch="$(dpkg --print-architecture 2>/dev/null)" || die "dpkg is missing: this script needs a Debian or Ubuntu host"

command -v docker >/dev/null || die "docker is not installed"
[ -s "$ca_bundle" ] || die "$ca_bundle is missing: install it with 'apt-get install -y ca-certificates'"
[ -e "$zoneinfo/UTC" ] || die "$zoneinfo is missing: install it with 'apt-get install -y tzdata'"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# stage_base ROOT: the files every runtime image shares.
stage_base() {
	local root="$1"
	install -d -m 0755 "$root"/etc/ssl/certs "$root"/etc/pki/tls/certs "$root"/usr/share \
		"$root"/var/task "$root"/var/runtime "$root"/opt "$root"/lambdock
	install -d -m 1777 "$root"/tmp
	install -m 0644 "$ca_bundle" "$root"/etc/ssl/certs/ca-certificates.crt
	# Amazon Linux keeps the bundle here; functions built for Lambda may look for it.
	ln -sfn ../../../ssl/certs/ca-certificates.crt "$root"/etc/pki/tls/certs/ca-bundle.crt
	rm -rf "$root"/usr/share/zoneinfo
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

# apt_for SUITE: prints the apt-get options of a private apt state for SUITE under the cache
# (sources, lists, downloaded packages, an empty dpkg status), creating and refreshing it.
apt_for() {
	local suite="$1" dir="$cache/apt-$1"
	[ -s "$keyring" ] || die "$keyring is missing: install it with 'apt-get install -y debian-archive-keyring'"
	mkdir -p "$dir"/lists/partial "$dir"/archives/partial "$dir"/etc/sources.list.d "$dir"/etc/preferences.d
	: >"$dir"/status
	echo "deb [signed-by=$keyring] $mirror $suite main" >"$dir"/etc/sources.list
	local opts=(-o "Dir::State::status=$dir/status" -o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache::archives=$dir/archives" -o "Dir::Cache=$dir" -o "Dir::Etc::sourcelist=$dir/etc/sources.list"
		-o "Dir::Etc::sourceparts=$dir/etc/sources.list.d" -o "Dir::Etc::preferencesparts=$dir/etc/preferences.d"
		-o Debug::NoLocking=1 -o "APT::Architecture=$arch" -o APT::Install-Recommends=false
		-o APT::Install-Suggests=false -o APT::Sandbox::User=root -q)
	if [ -z "$(find "$dir"/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
		apt-get "${opts[@]}" update >/dev/null || die "apt-get update for $suite failed (is $mirror reachable?)"
	fi
	printf '%s\n' "${opts[@]}"
}

# debian_root ROOT SUITE PACKAGE...: unpacks the closure of PACKAGEs from SUITE into ROOT, with
# /bin, /sbin and /lib* merged into /usr as on current Debian, and without documentation.
debian_root() {
	local root="$1" suite="$2"; shift 2
	local opts
	# Not a process substitution: apt_for's die must stop the build, never leave apt-get to the
	# host's own configuration.
	apt_for "$suite" >"$stage/apt-options" || exit 1
	mapfile -t opts <"$stage/apt-options"
	[ "${#opts[@]}" -gt 0 ] || die "no apt configuration for $suite"
	local dir="$cache/apt-$suite"
	# Download the closure into an empty list of names so that only this image's packages unpack.
	local names
	names="$(apt-get "${opts[@]}" -s install "$@" | awk '/^Inst /{print $2}')" ||
		die "cannot resolve $* in $suite"
	[ -n "$names" ] || die "resolving $* in $suite gave no packages"
	apt-get "${opts[@]}" -y --download-only install "$@" >/dev/null || die "cannot download $* from $suite"
	mkdir -p "$root"
	local name deb
	for name in $names; do
		deb="$(ls "$dir"/archives/"${name}"_*.deb 2>/dev/null | sort -V | tail -1)"
		[ -n "$deb" ] || die "package $name was not downloaded"
		dpkg-deb -x "$deb" "$root"
	done
	local d
	for d in bin sbin lib lib64; do
		if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then
			mkdir -p "$root/usr/$d"
			cp -a "$root/$d/." "$root/usr/$d/"
			rm -rf "${root:?}/$d"
		fi
		mkdir -p "$root/usr/$d"
		ln -sfn "usr/$d" "$root/$d"
	done
	# Of the documentation only each package's copyright file (its license) stays.
	if [ -d "$root"/usr/share/doc ]; then
		find "$root"/usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
		find "$root"/usr/share/doc -mindepth 1 -type d -empty -delete
	fi
	rm -rf "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/locale \
		"$root"/usr/share/lintian "$root"/usr/lib/*-linux-gnu/gconv "$root"/var/lib/dpkg \
		"$root"/var/cache/* "$root"/var/log/*
}

# inputs_hash FILE|DIR...: the hash that says whether an image is up to date.
inputs_hash() {
	{
		sha256sum <"${BASH_SOURCE[0]}"
		local p
		for p in "$@"; do
			if [ -d "$p" ]; then
				(cd "$p" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum &&
					find . -type f -perm -u+x -print | sort)
			elif [ -e "$p" ]; then
				sha256sum <"$p"
			else
				echo "$p"
			fi
		done
	} | sha256sum | cut -c1-32
}

# up_to_date TAG HASH: whether TAG exists and was built from HASH.
up_to_date() {
	[ -z "${LAMBDOCK_IMAGES_FORCE:-}" ] &&
		[ "$(docker image inspect --format '{{index .Config.Labels "lambdock.inputs"}}' "$1" 2>/dev/null)" = "$2" ]
}

# docker_build CTX HASH TAG...: builds CTX/Dockerfile (which COPYs CTX/rootfs) with the inputs label.
docker_build() {
	local ctx="$1" hash="$2"; shift 2
	local tags=() tag
	for tag in "$@"; do tags+=(-t "$tag"); done
	echo "LABEL lambdock.inputs=$hash" >>"$ctx/Dockerfile"
	local old
	old="$(docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true)"
	# The legacy builder (no BuildKit, which may be missing) needs nothing but the Engine; its
	# deprecation notice is shown only when the build fails. --force-rm: no container is left
	# by a failed RUN step.
	if ! DOCKER_BUILDKIT=0 docker build -q --force-rm --pull=false "${tags[@]}" "$ctx" >/dev/null 2>"$ctx/build.err"; then
		cat "$ctx/build.err" >&2
		die "docker build of $* failed"
	fi
	# The image this one replaces goes, unless something still uses it (a container, another
	# tag, an image built on it): then Docker refuses and it stays.
	if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$1")" ]; then
		docker image rm "$old" >/dev/null 2>&1 || true
	fi
}

built=()

# build_provided: lambdock/provided, the OS-only runtime's image.
build_provided() {
	local tags=(lambdock/provided:al2023 lambdock/provided:latest)
	local hash
	hash="$(inputs_hash "$here/provided/Dockerfile" "$ca_bundle")"
	built+=("${tags[0]}")
	if up_to_date "${tags[0]}" "$hash"; then
		echo "${tags[0]}: up to date"
		return
	fi
	local ctx="$stage/provided"
	mkdir -p "$ctx"
	stage_base "$ctx/rootfs"
	cp "$here/provided/Dockerfile" "$ctx/Dockerfile"
	docker_build "$ctx" "$hash" "${tags[@]}"
}

# build_language FAMILY TAG SUITE PACKAGE...: a language runtime's image from Debian packages,
# with images/FAMILY/runtime/ as /var/runtime and images/FAMILY/Dockerfile.
build_language() {
	local family="$1" tag="$2" suite="$3"; shift 3
	local hash
	hash="$(inputs_hash "$here/$family/Dockerfile" "$here/$family/runtime" "$here/$family/finish.sh" "$suite $*")"
	built+=("$tag")
	if up_to_date "$tag" "$hash"; then
		echo "$tag: up to date"
		return
	fi
	echo "$tag: building from Debian $suite ($*)"
	local ctx="$stage/${tag//[:\/]/-}"
	mkdir -p "$ctx"
	debian_root "$ctx/rootfs" "$suite" "$@"
	stage_base "$ctx/rootfs"
	cp -a "$here/$family/runtime/." "$ctx/rootfs/var/runtime/"
	# Readable (and, where executable, runnable) by the function's user whatever the umask of
	# the checkout was.
	chmod -R u+rwX,go+rX,go-w "$ctx/rootfs/var/runtime"
	# finish.sh ROOT, when present, trims or completes the family's root filesystem.
	if [ -f "$here/$family/finish.sh" ]; then
		bash "$here/$family/finish.sh" "$ctx/rootfs"
	fi
	cp "$here/$family/Dockerfile" "$ctx/Dockerfile"
	docker_build "$ctx" "$hash" "$tag"
}

# want RUNTIME-ID: whether the command line asked for it (everything when it named nothing).
want() {
	[ "${#selected[@]}" -eq 0 ] && return 0
	local s
	for s in "${selected[@]}"; do [ "$s" = "$1" ] && return 0; done
	return 1
}

selected=("$@")
want provided.al2023 && build_provided
want python3.13 && build_language python lambdock/python:3.13 trixie python3-minimal libpython3.13-stdlib python3-boto3 dash
want python3.11 && build_language python lambdock/python:3.11 bookworm python3-minimal libpython3.11-stdlib python3-boto3 dash
want nodejs20.x && build_language nodejs lambdock/nodejs:20 trixie nodejs dash
want nodejs18.x && build_language nodejs lambdock/nodejs:18 bookworm nodejs dash

for tag in "${built[@]}"; do
	size="$(docker image inspect --format '{{.Size}}' "$tag")"
	awk -v t="$tag" -v s="$size" 'BEGIN { printf "%-28s %6.1f MB\n", t, s / 1e6 }'
done
