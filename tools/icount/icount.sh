#!/bin/sh
# Counts executed arm64 instructions under qemu-user with the icount TCG
# plugin: the count of a run with 3 calls minus that of a run with 1 call,
# halved. Needs gcc, qemu-user (qemu-aarch64) and Go.
#
#   tools/icount/icount.sh [M N K]
#       one M×N×K GEMM (default 512 512 512; packing and epilogue included)
#       on each kernels path, per multiply-accumulate, with the share of the
#       assembly micro-kernels and of the arm64 int8 driver (packX:
#       activation packing; multiply: the tile loop and the scatter of results).
#
#   tools/icount/icount.sh model lenet5|alexnet|FILE [BATCH ...]
#       one int8 Infer of a whole model (engine.New with 1 thread; default
#       batches 1 and 8) on neon (cortex-a72) and dotprod (cortex-a76), per
#       image, in total and per layer (the plugin takes a snapshot at each
#       layer's forward method) with the share of the micro-kernel, packX, the
#       driver, im2col, pooling and the lookup tables. lenet5 is the embedded
#       model; alexnet is the 32x32 AlexNet with random weights, quantized on
#       the host (tools/convert, min/max on 64 MNIST images) before the runs.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -shared -fPIC -O2 -o "$tmp/icount.so" tools/icount/plugin/icount.c
GOOS=linux GOARCH=arm64 go build -o "$tmp/icount" ./tools/icount

# sym NAME prints "LO:HI" (hex) of the function NAME of the arm64 binary.
sym() {
	set -- $(go tool nm -size "$tmp/icount" | awk -v s="$1" '$4 == s && !found { print $1, $2; found = 1 }')
	[ $# -eq 2 ] && printf '%s:%x' "$1" $((0x$1 + $2))
}
# rangesof NAME SYMBOL... prints ",range=LO:HI:NAME" for each symbol present.
rangesof() {
	name=$1
	shift
	for s in "$@"; do
		if r=$(sym "github.com/edgecnn/edgecnn/kernels.$s"); then
			printf ',range=%s:%s' "$r" "$name"
		fi
	done
}

if [ "${1:-}" != model ]; then
	M=${1:-512} N=${2:-512} K=${3:-512}
	ranges=
	for s in int8Neon4x4.abi0 int8Dot8x8.abi0 sgemm8x8.abi0 '(*armInt8Shape).multiply'; do
		ranges="$ranges$(rangesof "$(echo "$s" | tr -d '()*')" "$s")"
	done
	ranges="$ranges$(rangesof packX '(*armInt8Shape).packX' packRowsNeon.abi0 packRowsDot.abi0)"
	count() { # cpu calls args... -> "name=count ..."
		cpu=$1 calls=$2
		shift 2
		qemu-aarch64 -cpu "$cpu" -plugin "$tmp/icount.so$ranges" "$tmp/icount" -m "$M" -n "$N" -k "$K" -calls "$calls" "$@" 2>&1 >/dev/null |
			awk '/^icount / { printf "%s=%s ", $2, $3 }'
	}
	for cfg in "cortex-a72 int8 neon" "cortex-a76 int8 dotprod" "cortex-a72 f32 neon"; do
		set -- $cfg
		one=$(count "$1" 1 -op "$2" -path "$3")
		three=$(count "$1" 3 -op "$2" -path "$3")
		echo "$one|$three" | awk -v cfg="$2 $3 ($1)" -v m="$M" -v n="$N" -v k="$K" '{
			split($0, runs, "|")
			n1 = split(runs[1], a, " "); split(runs[2], b, " ")
			macs = m * n * k
			# Ranges that share a name (packX: Go and assembly) add up.
			for (i = 1; i <= n1; i++) {
				split(a[i], x, "="); split(b[i], y, "=")
				if (!(x[1] in d)) order[++names] = x[1]
				d[x[1]] += (y[2] - x[2]) / 2
			}
			line = sprintf("%-26s %dx%dx%d:", cfg, m, n, k)
			for (i = 1; i <= names; i++)
				if (d[order[i]] > 0) line = line sprintf("  %s %.0f instr/call = %.4f/MAC", order[i], d[order[i]], d[order[i]] / macs)
			print line
		}'
	done
	exit 0
fi

model=${2:?usage: icount.sh model lenet5|alexnet|FILE [BATCH ...]}
shift 2
batches=${*:-1 8}
host="$tmp/icount-host"
go build -o "$host" ./tools/icount
if [ "$model" = alexnet ]; then
	"$host" -model alexnet -save "$tmp/alexnet.int8.safetensors"
	model=$tmp/alexnet.int8.safetensors
fi
ranges="$(rangesof kernel int8Neon4x4.abi0 int8Dot8x8.abi0 int8GemvNeon.abi0 int8GemvDot.abi0)$(rangesof packX '(*armInt8Shape).packX' packRowsNeon.abi0 packRowsDot.abi0)"
ranges="$ranges$(rangesof driver '(*armInt8Shape).gemm' '(*armInt8Shape).gemmRows' '(*armInt8Shape).multiply' '(*armInt8Shape).gemv' convDirectRows)"
ranges="$ranges$(rangesof im2col Im2colInt8 im2colInt8Rows padImage)"
ranges="$ranges$(rangesof pool MaxPoolInt8 maxPoolInt8Generic maxPoolInt8Inside maxPoolInt8SIMD maxPoolInt8Rows.abi0 AvgPoolInt8 avgPoolInt8Generic)"
ranges="$ranges$(rangesof lookup LookupInt8 lookupInt8Generic)"
# Marks: the start and end of each Infer call, and the forward method of
# every engine layer type (the mark's name is the type's). Layer types with
# value receivers are called through their pointer wrapper: mark only that.
marks=$(go tool nm "$tmp/icount" | awk '
	$3 == "main.begin" || $3 == "main.end" { sub("main.", "", $3); printf ",mark=%s:%s", $1, $3 }
	$3 ~ /^github.com\/edgecnn\/edgecnn\/engine\.(\(\*)?[A-Za-z0-9]+\)?\.forward$/ {
		t = $3; sub(/^github.com\/edgecnn\/edgecnn\/engine\./, "", t); sub(/\.forward$/, "", t)
		if (t ~ /^\(\*/) { ptr[substr(t, 3, length(t) - 3)] = $1 } else { val[t] = $1 }
	}
	END {
		for (t in ptr) printf ",mark=%s:%s", ptr[t], t
		for (t in val) if (!(t in ptr)) printf ",mark=%s:%s", val[t], t
	}')
for b in $batches; do
	"$host" -model "$model" -batch "$b" -save-input "$tmp/input"
	for cfg in "cortex-a72 neon" "cortex-a76 dotprod"; do
		set -- $cfg
		for calls in 1 3; do
			qemu-aarch64 -cpu "$1" -plugin "$tmp/icount.so$ranges$marks" "$tmp/icount" \
				-model "$model" -batch "$b" -input "$tmp/input" -path "$2" -calls "$calls" 2>"$tmp/run$calls" >/dev/null
		done
		echo "== $(basename "$model") int8, batch $b, $2 ($1); instructions per image"
		"$host" -model "$model" -batch "$b" -report "$tmp/run1" "$tmp/run3"
		echo
	done
done
