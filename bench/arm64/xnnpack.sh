#!/bin/bash
# bench/arm64/xnnpack.sh: Debian's arm64 XNNPACK (the same 2022 snapshot as
# the amd64 one) running bench/xnnpack/xnnbench.c's networks under
# qemu-aarch64, counted by tools/icount's plugin: instructions per inference,
# per layer, per function, and the llvm-mca cycle estimate of tools/icount.
#
#   bench/arm64/xnnpack.sh setup
#       apt: qemu-user, the aarch64 cross compiler and binutils, llvm-19; and
#       the arm64 packages libxnnpack0, libcpuinfo0, libpthreadpool0 (and
#       -dev) unpacked into $WORK/sysroot through a private apt state: the
#       system's Debian sources with Architectures: arm64, its own lists and
#       status, so the machine's dpkg is not touched (no --add-architecture)
#   bench/arm64/xnnpack.sh NETWORK [CPU ...]
#       NETWORK: lenet, alexnet, mobilenetv1, mobilenetv2, resnet18 (int8,
#       batch 1; DTYPE=f32 BATCH=8 to change); CPU: cortex-a72 (Pi 4, the
#       default with cortex-a76) or cortex-a76 (Pi 5). XNNPACK is told it runs
#       on that core (xnnbench -uarch), as cpuinfo would read it on a Pi, so
#       it picks the micro-kernels it picks there.
#
# WORK (default ${TMPDIR:-/tmp}/edgecnn-arm64) holds the sysroot, the builds
# and the raw outputs. qemu runs under nice -n 10. Each count is of
# xnnbench -count 2 (after its warm-up run): the mean of the two regions.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${WORK:-${TMPDIR:-/tmp}/edgecnn-arm64}
SYS=$WORK/sysroot
LIB=$SYS/usr/lib/aarch64-linux-gnu
mkdir -p "$WORK"

setup() {
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
		qemu-user gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu llvm-19 >/dev/null
	# A private apt state that knows only arm64: the system's Debian
	# sources (deb822 or one-line), with the architecture set.
	apt=$WORK/apt
	rm -rf "$apt" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources" "$apt/debs"
	: >"$apt/status"
	found=0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && grep -q '^URIs:.*debian' "$f" || continue
		awk '/^Types:/ { print; print "Architectures: arm64"; next } !/^Architectures:/' "$f" >"$apt/sources/$(basename "$f")"
		found=1
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		grep -E '^deb .*debian' "$f" | sed -E 's/^deb (\[[^]]*\] )?/deb [arch=arm64] /' >"$apt/sources/$(basename "$f").list" || true
		[ -s "$apt/sources/$(basename "$f").list" ] && found=1
	done
	[ "$found" = 1 ] || { echo "xnnpack.sh: no Debian apt sources found in /etc/apt" >&2; exit 1; }
	cat >"$apt/apt.conf" <<-EOF
	Dir::Etc::SourceList "/dev/null";
	Dir::Etc::SourceParts "$apt/sources";
	Dir::State::Lists "$apt/lists";
	Dir::State::status "$apt/status";
	Dir::Cache "$apt/cache";
	APT::Architecture "arm64";
	APT::Architectures { "arm64"; };
	Acquire::Languages "none";
	APT::Sandbox::User "root";
	EOF
	APT_CONFIG=$apt/apt.conf apt-get update -qq
	(cd "$apt/debs" && APT_CONFIG=$apt/apt.conf apt-get download -qq \
		libxnnpack0 libxnnpack-dev libcpuinfo0 libcpuinfo-dev libpthreadpool0 libpthreadpool-dev)
	for d in "$apt"/debs/*.deb; do dpkg -x "$d" "$SYS"; done
	ls "$apt/debs"
}

build() {
	[ -f "$LIB/libXNNPACK.so.0" ] || setup
	gcc -shared -fPIC -O2 -Wall -o "$WORK/icount.so" tools/icount/plugin/icount.c
	aarch64-linux-gnu-gcc -O2 -Wall -no-pie -I "$SYS/usr/include" -o "$WORK/xnnbench-arm64" \
		bench/xnnpack/xnnbench.c -L "$LIB" -lXNNPACK -lpthreadpool -lcpuinfo -lm
	go build -o "$WORK/icount-host" ./tools/icount
}

addr() { aarch64-linux-gnu-nm "$WORK/xnnbench-arm64" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }

# count NETWORK CPU: one qemu run; prints the report.
count() {
	net=$1 cpu=$2 dtype=${DTYPE:-int8} batch=${BATCH:-1}
	run=$WORK/xnnpack-$net-$dtype-b$batch-$cpu
	plugin="$WORK/icount.so,begin=$(addr xc_begin),end=$(addr xc_end),mark=$(addr xc_layer):layer,hist=$run.hist"
	nice -n 10 qemu-aarch64 -cpu "$cpu" -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH="$LIB" \
		-plugin "$plugin" "$WORK/xnnbench-arm64" -uarch "$cpu" -count 2 -only "$net" -dtypes "$dtype" \
		-batches "$batch" >"$run.out" 2>"$run.stderr"
	echo "== XNNPACK $net $dtype batch $batch on qemu -cpu $cpu ($(grep '^#' "$run.out" | sed 's/^# //'))"
	"$WORK/icount-host" -report -plugin "$run.stderr" -hist "$run.hist" -exe "$WORK/xnnbench-arm64" \
		-objects "$run.out" -prefix /usr/aarch64-linux-gnu -batch "$batch" \
		-cycles "$(core "$cpu")"
	echo
}

# core CPU names the llvm-mca model of the core: LLVM has none of its own
# for the A72 or the A76; see tools/icount/README.md.
core() {
	case $1 in
	cortex-a72) echo a72 ;;
	cortex-a76) echo a76 ;;
	*) echo "xnnpack.sh: no cycle model for $1" >&2; exit 2 ;;
	esac
}

case ${1:-} in
setup) setup ;;
lenet | alexnet | mobilenetv1 | mobilenetv2 | resnet18)
	build
	net=$1
	shift
	for cpu in ${*:-cortex-a72 cortex-a76}; do count "$net" "$cpu"; done
	;;
*) sed -n '2,26p' "$0"; exit 2 ;;
esac
