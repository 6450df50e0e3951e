#!/bin/bash
# Counts the arm64 instructions edgecnn executes under qemu-user, with the
# icount TCG plugin, and estimates their cycles on the Raspberry Pi cores
# with llvm-mca (see README.md). Needs gcc, qemu-user, Go,
# binutils-aarch64-linux-gnu and llvm-19.
#
#   tools/icount/icount.sh [M N K]
#       one M×N×K GEMM (default 512 512 512; packing and epilogue included)
#       on each kernels path: int8 neon on cortex-a72 (Pi 4), int8 dotprod on
#       cortex-a76 (Pi 5), f32 neon on cortex-a72.
#
#   tools/icount/icount.sh model NAME|FILE [BATCH ...]
#       one int8 Infer of a whole model (engine.New with 1 thread; default
#       batch 1) on neon (cortex-a72) and dotprod (cortex-a76), per image:
#       instructions and cycles, by group of functions (micro-kernels,
#       packing, the Go tile driver, im2col, pooling, the engine), by layer
#       and by function. NAME: lenet5 (embedded), alexnet (32x32, random
#       weights, calibrated on MNIST digits), mobilenetv1, mobilenetv2,
#       resnet18 (224x224, random weights); models are quantized on the host
#       before the runs.
#
# Every count is of 3 calls with the first left out (its one-off costs):
# the mean of calls 2 and 3, of the calling thread only. WORK (default a
# temporary folder) keeps the builds and raw outputs.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -n "${WORK:-}" ]; then
	tmp=$WORK/icount
	mkdir -p "$tmp"
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
fi
gcc -shared -fPIC -O2 -o "$tmp/icount.so" tools/icount/plugin/icount.c
GOOS=linux GOARCH=arm64 go build -o "$tmp/icount" ./tools/icount
go build -o "$tmp/icount-host" ./tools/icount

sym() { go tool nm "$tmp/icount" | awk -v s="$1" '$3 == s && !found { print "0x" $1; found = 1 }'; }
begin=$(sym main.begin) end=$(sym main.end)

# Groups of functions, first match wins (function names are Go symbols).
groups=(-group 'pack=edgecnn/kernels\..*(?i:pack)' -group 'im2col=edgecnn/kernels\..*(?i:im2col|padImage)'
	-group 'pool=edgecnn/kernels\..*(?i:pool)' -group 'kernel=edgecnn/kernels\.[^.]+\.abi0$'
	-group 'driver=edgecnn/kernels\.' -group 'engine=edgecnn/engine\.')

# run NAME CPU MARKS ARGS...: one qemu run of the driver, counted.
run() {
	name=$1 cpu=$2 marks=$3
	shift 3
	nice -n 10 qemu-aarch64 -cpu "$cpu" \
		-plugin "$tmp/icount.so,begin=$begin,end=$end,skip=1,hist=$tmp/$name.hist$marks" \
		"$tmp/icount" -calls 3 "$@" >/dev/null 2>"$tmp/$name.stderr"
}

core() { [ "$1" = cortex-a72 ] && echo a72 || echo a76; }

if [ "${1:-}" != model ]; then
	M=${1:-512} N=${2:-512} K=${3:-512}
	for cfg in "cortex-a72 int8 neon" "cortex-a76 int8 dotprod" "cortex-a72 f32 neon"; do
		set -- $cfg
		name=gemm-$2-$3
		run "$name" "$1" "" -op "$2" -path "$3" -m "$M" -n "$N" -k "$K"
		echo "== $2 $3 ($1), ${M}x${N}x${K} GEMM, $((M * N * K)) MACs"
		"$tmp/icount-host" -report -plugin "$tmp/$name.stderr" -hist "$tmp/$name.hist" -exe "$tmp/icount" \
			-macs $((M * N * K)) -unit call -cycles "$(core "$1")" -top 6 "${groups[@]}"
		echo
	done
	exit 0
fi

model=${2:?usage: icount.sh model NAME|FILE [BATCH ...]}
shift 2
batches=${*:-1}
file=$tmp/$(basename "$model").int8.safetensors
"$tmp/icount-host" -model "$model" -save "$file"
# Marks: the forward method of every engine layer type, so that each
# layer's count is a segment of its own. Layer types with value receivers
# are called through their pointer wrapper: mark only that.
marks=$(go tool nm "$tmp/icount" | awk '
	$3 ~ /^github.com\/edgecnn\/edgecnn\/engine\.(\(\*)?[A-Za-z0-9]+\)?\.forward$/ {
		t = $3; sub(/^github.com\/edgecnn\/edgecnn\/engine\./, "", t); sub(/\.forward$/, "", t)
		if (t ~ /^\(\*/) { ptr[substr(t, 3, length(t) - 3)] = $1 } else { val[t] = $1 }
	}
	END {
		for (t in ptr) printf ",mark=0x%s:%s", ptr[t], t
		for (t in val) if (!(t in ptr)) printf ",mark=0x%s:%s", val[t], t
	}')
for b in $batches; do
	"$tmp/icount-host" -model "$file" -batch "$b" -save-input "$tmp/input.$b"
	for cfg in "cortex-a72 neon" "cortex-a76 dotprod"; do
		set -- $cfg
		name=$(basename "$model")-b$b-$2
		run "$name" "$1" "$marks" -model "$file" -batch "$b" -input "$tmp/input.$b" -path "$2"
		echo "== $(basename "$model") int8, batch $b, $2 ($1), per image"
		"$tmp/icount-host" -report -plugin "$tmp/$name.stderr" -hist "$tmp/$name.hist" -exe "$tmp/icount" \
			-model "$file" -batch "$b" -cycles "$(core "$1")" "${groups[@]}"
		echo
	done
done
