# shellcheck shell=bash
# scripts/lib.sh - shared by scripts/test and scripts/demo: the Debian packages
# cend builds against, configuring and building a variant under build/, and
# timed stages with a summary.  Sourced, not run.

# Every Debian package the build, the tests and the format check use.  Append
# here (e.g. bird2 for BGP interop tests); scripts/test installs what is missing.
CEND_PACKAGES="build-essential cmake pkg-config
	libuv1-dev libraft-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev
	libyaml-dev libxxhash-dev libcmocka-dev liburcu-dev
	clang-format clang libclang-rt-14-dev python3 procps bird2
	frr gobgpd openbgpd exabgp
	iproute2 ethtool iputils-ping iperf3 python3-scapy libxdp-dev libbpf-dev"

CEND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CEND_PROG=${CEND_PROG:-$(basename "$0")}
CEND_SUMMARY=()

cend_say()
{
	echo "[$CEND_PROG] $*"
}

cend_die()
{
	echo "[$CEND_PROG] error: $*" >&2
	exit 1
}

# Prints the packages of CEND_PACKAGES that are not installed, one a line.
cend_missing_packages()
{
	local p status

	for p in $CEND_PACKAGES; do
		status=$(dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null) ||
			status=""
		case $status in
		*" installed"*) ;;
		*) echo "$p" ;;
		esac
	done
}

# Installs whatever of CEND_PACKAGES is missing: one apt-get update, then one
# apt-get install.  Needs root for that; never touches apt when nothing is
# missing.
cend_install_packages()
{
	local missing

	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "[$CEND_PROG] error: dpkg-query not found: this is not a Debian system." >&2
		echo "[$CEND_PROG] Install these yourself, then rerun with --no-install:" >&2
		# shellcheck disable=SC2086 # one line, one word per package
		echo "  "$CEND_PACKAGES >&2
		return 1
	fi
	missing=$(cend_missing_packages | tr '\n' ' ')
	missing=${missing% }
	if [ -z "$missing" ]; then
		# shellcheck disable=SC2086 # one word per package
		cend_say "all $(printf '%s\n' $CEND_PACKAGES | wc -l) Debian packages present"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "[$CEND_PROG] error: missing Debian packages: $missing" >&2
		echo "[$CEND_PROG] Run as root, or install them first:" >&2
		echo "  sudo apt-get install -y --no-install-recommends $missing" >&2
		return 1
	fi
	cend_say "installing missing Debian packages: $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update || return 1
	# shellcheck disable=SC2086 # one word per package
	apt-get install -y --no-install-recommends $missing || return 1
	missing=$(cend_missing_packages | tr '\n' ' ')
	missing=${missing% }
	if [ -n "$missing" ]; then
		echo "[$CEND_PROG] error: still missing after apt-get: $missing" >&2
		return 1
	fi
}

# cend_configure VARIANT BUILD_TYPE [cmake -D... ...]: configures build/VARIANT.
cend_configure()
{
	local variant=$1 type=$2

	shift 2
	cmake -S "$CEND_ROOT" -B "$CEND_ROOT/build/$variant" \
		-DCMAKE_BUILD_TYPE="$type" "$@"
}

# cend_build VARIANT [TARGET ...]: builds build/VARIANT (everything, or the
# targets named) on every core.
cend_build()
{
	local variant=$1 t args=()

	shift
	for t in "$@"; do
		args+=(--target "$t")
	done
	cmake --build "$CEND_ROOT/build/$variant" -j"$(nproc)" "${args[@]}"
}

# cend_stage NAME COMMAND [ARG ...]: runs one stage, prints and records a
# line with its result and elapsed seconds, and returns the command's status.
cend_stage()
{
	local name=$1 start rc line

	shift
	cend_say "---- $name"
	start=$(date +%s)
	"$@"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		line=$(printf '%-18s ok      %4ss' "$name" $(($(date +%s) - start)))
	else
		line=$(printf '%-18s FAILED  %4ss  (exit %s)' "$name" \
			$(($(date +%s) - start)) "$rc")
	fi
	CEND_SUMMARY+=("$line")
	cend_say "stage $line"
	return "$rc"
}

# cend_skip NAME WHY: records a stage that did not run.
cend_skip()
{
	local line

	line=$(printf '%-18s skipped        (%s)' "$1" "$2")
	CEND_SUMMARY+=("$line")
	cend_say "stage $line"
}

cend_summary()
{
	local line

	cend_say "summary:"
	for line in "${CEND_SUMMARY[@]}"; do
		echo "  $line"
	done
}
