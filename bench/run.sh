#!/bin/bash
# bench/run.sh: build and run edgecnn, XNNPACK and PyTorch side by side on the
# same shapes, in one run, and print the comparison as Markdown.
#
#   bench/run.sh [-only GROUPS] [-threads LIST] [-rounds R] [-budget SECONDS]
#                [-no-train] [-train-limit N] [-out DIR]
#
# GROUPS (comma-separated, default all): gemm, layers (every LeNet-5 and
# AlexNet layer), nets (lenet, alexnet), mobile (mobilenetv1, mobilenetv2,
# resnet18), any of those network names, train (the LeNet-5 epoch). LIST:
# the thread counts of the whole networks, e.g. 1,2 (default); the GEMM and
# single layers run on one thread. Each round runs every engine once per
# thread count, alternating them.
#
# Needs (Debian 12): apt-get install -y libxnnpack-dev libpthreadpool-dev
# libcpuinfo-dev python3-torch python3-torchvision libopenblas0-openmp, a C
# compiler and Go. Raw output and report.md go to DIR (default
# bench/results/<time>, ignored by git). See bench/README.md.
set -euo pipefail

only=gemm,layers,nets,mobile,train threads=1,2 rounds=2 budget=0.3 train_limit=0 out=""
while [ $# -gt 0 ]; do
	case "$1" in
	-only | --only) only=$2; shift 2 ;;
	-threads | --threads) threads=$2; shift 2 ;;
	-rounds | --rounds) rounds=$2; shift 2 ;;
	-budget | --budget) budget=$2; shift 2 ;;
	-no-train | --no-train) only=$(echo ",$only," | sed 's/,train,/,/g; s/^,//; s/,$//'); shift ;;
	-train-limit | --train-limit) train_limit=$2; shift 2 ;;
	-out | --out) out=$2; shift 2 ;;
	-h | -help | --help) sed -n '2,19p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown flag $1 (try -help)" >&2; exit 2 ;;
	esac
done
has() { case ",$only," in *",$1,"*) return 0 ;; esac; return 1; }
for g in ${only//,/ }; do
	case $g in
	gemm | layers | nets | mobile | train | lenet | alexnet | mobilenetv1 | mobilenetv2 | resnet18) ;;
	*) echo "run.sh: -only: unknown group $g" >&2; exit 2 ;;
	esac
done
# What the three programs run: the groups without train.
cases=$(echo ",$only," | sed 's/,train,/,/g; s/^,//; s/,$//')

cd "$(dirname "$0")/.."
out=${out:-bench/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
log() { echo "== $*" >&2; }

# Prerequisites.
missing=""
for h in xnnpack.h pthreadpool.h cpuinfo.h; do
	[ -f "/usr/include/$h" ] || missing="$missing $h"
done
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null || missing="$missing python3-torch/python3-torchvision"
if [ -n "$missing" ]; then
	echo "run.sh: missing:$missing" >&2
	echo "run.sh: apt-get install -y libxnnpack-dev libpthreadpool-dev libcpuinfo-dev python3-torch python3-torchvision libopenblas0-openmp" >&2
	exit 1
fi
# Debian's torch calls whatever libblas.so.3 the alternatives system points
# at; the reference BLAS makes its float layers ~10x slower than they need be.
# Use OpenBLAS (OpenMP build, so torch.set_num_threads governs it) when it is
# installed, for the torch runs only.
torch_env=()
blas="system libblas.so.3 ($(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo '?'))"
if [ -f /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 ]; then
	torch_env=(LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp)
	blas="OpenBLAS (openmp) via LD_LIBRARY_PATH"
fi
# With OpenMP's default active waiting, two torch threads on a loaded 2-core
# machine spin against each other and a LeNet-5 training step takes ~8x
# longer; passive waiting is what is fair to torch on a shared machine.
torch_env+=(OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}")
run_torch() { env "${torch_env[@]}" OMP_NUM_THREADS="$1" /usr/bin/python3 bench/torch/torchbench.py "${@:2}"; }

log "building into $out"
cc -O2 -Wall -o "$out/xnnbench" bench/xnnpack/xnnbench.c -lXNNPACK -lpthreadpool -lcpuinfo -lm
go build -o "$out/edgecnn-bench" ./bench/edgecnn
go build -o "$out/edgecnn" ./cmd/edgecnn

# The AVX2-only variants run only when the default path is another one (on
# an AVX2-only CPU they would time the same kernels twice).
path() { "$@" -only none 2>/dev/null | awk -F'\t' '$1 == "PATH" { print $3 }'; }
epath=$(path "$out/edgecnn-bench") xpath=$(path "$out/xnnbench")
eavx2=0 xavx2=0
[ "$epath" != avx2 ] && EDGECNN_KERNELS=avx2 "$out/edgecnn-bench" -only none >/dev/null 2>&1 && eavx2=1
[ "$xpath" != avx2 ] && [ "$xpath" != "" ] && xavx2=1

{
	echo "cpu:      $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores online)"
	echo "flags:    $(grep -o -w -E 'avx2|fma|avx512f|avx512bw|avx512vl|avx512_vnni|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at start)"
	echo "go:       $(go version | cut -d' ' -f3-)"
	echo "edgecnn:  $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' + uncommitted changes'), kernels $epath"
	echo "xnnpack:  $(dpkg-query -W -f '${Version}' libxnnpack0 2>/dev/null), kernels $xpath"
	echo "torch:    $(dpkg-query -W -f '${Version}' python3-torch 2>/dev/null), torchvision $(dpkg-query -W -f '${Version}' python3-torchvision 2>/dev/null), BLAS: $blas, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}"
	echo "cases:    $only; threads $threads; rounds $rounds, budget ${budget}s per case"
	echo "command:  bench/run.sh -only $only -threads $threads -rounds $rounds -budget $budget"
} >"$out/machine.txt"
cat "$out/machine.txt" >&2

for r in $(seq 1 "$rounds"); do
	for t in ${threads//,/ }; do
		# The GEMM and the single layers run on one thread, once per round.
		c=$cases
		[ "$t" != "${threads%%,*}" ] && c=$(echo ",$c," | sed 's/,gemm,/,/g; s/,layers,/,/g; s/^,//; s/,$//')
		[ -n "$c" ] || continue
		common=(-threads "$t" -budget "$budget" -only "$c")
		f=t$t.r$r.txt
		log "round $r/$rounds, $t thread(s): XNNPACK"
		"$out/xnnbench" "${common[@]}" >"$out/xnnpack.$f"
		if [ $xavx2 = 1 ]; then
			log "round $r/$rounds, $t thread(s): XNNPACK restricted to AVX2"
			"$out/xnnbench" "${common[@]}" -isa avx2 >"$out/xnnpack-avx2.$f"
		fi
		log "round $r/$rounds, $t thread(s): edgecnn"
		save=()
		[ "$r" = 1 ] && save=(-save "$out")
		"$out/edgecnn-bench" "${common[@]}" "${save[@]}" >"$out/edgecnn.$f"
		if [ $eavx2 = 1 ]; then
			log "round $r/$rounds, $t thread(s): edgecnn, EDGECNN_KERNELS=avx2"
			EDGECNN_KERNELS=avx2 "$out/edgecnn-bench" "${common[@]}" >"$out/edgecnn-avx2.$f"
		fi
		log "round $r/$rounds, $t thread(s): PyTorch"
		run_torch "$t" --threads "$t" --budget "$budget" --only "$c" >"$out/torch.$f" 2>"$out/torch.$f.stderr"
	done
done

if has train; then
	log "LeNet-5 training epoch, 2 threads: edgecnn"
	"$out/edgecnn-bench" -only none -train -train-threads 2 -train-limit "$train_limit" >"$out/edgecnn-train.t2.r1.txt"
	log "LeNet-5 training epoch, 2 threads: PyTorch"
	run_torch 2 --only none --train --train-threads 2 --train-limit "$train_limit" >"$out/torch-train.t2.r1.txt"
fi

if has gemm || has layers; then
	log "go test -bench (kernels)"
	go test -run '^$' -bench 'BenchmarkGemmInt8$|BenchmarkSgemm$|BenchmarkInt8Layers$' -benchtime 200ms -count 3 \
		./kernels/ >"$out/go-test-bench.txt" 2>&1 || log "go test -bench failed (see $out/go-test-bench.txt)"
fi

# `edgecnn bench`, the CLI's own benchmark, on the int8 networks of this run.
: >"$out/edgecnn-cli-bench.txt"
cli() {
	"$out/edgecnn" bench --model "$1" --threads "$2" --batch "$3" --json >>"$out/edgecnn-cli-bench.txt" \
		2>/dev/null || log "edgecnn bench --model $1 --threads $2 --batch $3 failed"
}
for t in ${threads//,/ }; do
	if has nets || has lenet; then cli models/lenet5.int8.safetensors "$t" 1; cli models/lenet5.int8.safetensors "$t" 64; fi
	if [ -f "$out/alexnet.int8.safetensors" ]; then cli "$out/alexnet.int8.safetensors" "$t" 1; cli "$out/alexnet.int8.safetensors" "$t" 64; fi
	for n in mobilenetv1 mobilenetv2 resnet18; do
		if [ -f "$out/$n.int8.safetensors" ]; then log "edgecnn bench $n, $t thread(s)"; cli "$out/$n.int8.safetensors" "$t" 1; fi
	done
done

/usr/bin/python3 bench/report.py "$out" >"$out/report.md"
/usr/bin/python3 bench/report.py --cpu "$out" >"$out/report-cpu.md"
cat "$out/report.md"
log "raw results, report.md (wall time) and report-cpu.md (process CPU time) in $out"
