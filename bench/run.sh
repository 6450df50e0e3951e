#!/bin/bash
# bench/run.sh: build and run edgecnn, XNNPACK and PyTorch side by side on the
# same shapes, in one run, and print the comparison as Markdown.
#
#   bench/run.sh [-threads N] [-rounds R] [-budget SECONDS] [-no-train] [-train-limit N] [-out DIR]
#
# Needs (Debian 12): apt-get install -y libxnnpack-dev libpthreadpool-dev
# libcpuinfo-dev python3-torch libopenblas0-openmp, a C compiler and Go.
# Raw output and report.md go to DIR (default bench/results/<time>, ignored by
# git). See bench/README.md.
set -euo pipefail

threads=1 rounds=2 budget=0.3 train=1 train_limit=0 out=""
while [ $# -gt 0 ]; do
	case "$1" in
	-threads | --threads) threads=$2; shift 2 ;;
	-rounds | --rounds) rounds=$2; shift 2 ;;
	-budget | --budget) budget=$2; shift 2 ;;
	-no-train | --no-train) train=0; shift ;;
	-train-limit | --train-limit) train_limit=$2; shift 2 ;;
	-out | --out) out=$2; shift 2 ;;
	-h | -help | --help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown flag $1 (try -help)" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
out=${out:-bench/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
log() { echo "== $*" >&2; }

# Prerequisites.
missing=""
for h in xnnpack.h pthreadpool.h cpuinfo.h; do
	[ -f "/usr/include/$h" ] || missing="$missing $h"
done
/usr/bin/python3 -c 'import torch' 2>/dev/null || missing="$missing python3-torch"
if [ -n "$missing" ]; then
	echo "run.sh: missing:$missing" >&2
	echo "run.sh: apt-get install -y libxnnpack-dev libpthreadpool-dev libcpuinfo-dev python3-torch libopenblas0-openmp" >&2
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

log "building into $out"
cc -O2 -Wall -o "$out/xnnbench" bench/xnnpack/xnnbench.c -lXNNPACK -lpthreadpool -lcpuinfo -lm
go build -o "$out/edgecnn-bench" ./bench/edgecnn
go build -o "$out/edgecnn" ./cmd/edgecnn

{
	echo "cpu:      $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores online)"
	echo "flags:    $(grep -o -w -E 'avx2|fma|avx512f|avx512bw|avx512vl|avx512_vnni|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at start)"
	echo "go:       $(go version | cut -d' ' -f3-)"
	echo "edgecnn:  $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
	echo "xnnpack:  $(dpkg-query -W -f '${Version}' libxnnpack0 2>/dev/null)"
	echo "torch:    $(dpkg-query -W -f '${Version}' python3-torch 2>/dev/null), BLAS: $blas, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}"
	echo "threads:  $threads (inference), rounds $rounds, budget ${budget}s per case"
	echo "command:  bench/run.sh -threads $threads -rounds $rounds -budget $budget"
} >"$out/machine.txt"
cat "$out/machine.txt" >&2

common=(-threads "$threads" -budget "$budget")
for r in $(seq 1 "$rounds"); do
	log "round $r/$rounds: XNNPACK"
	"$out/xnnbench" "${common[@]}" >"$out/xnnpack.r$r.txt"
	log "round $r/$rounds: XNNPACK restricted to AVX2"
	"$out/xnnbench" "${common[@]}" -isa avx2 >"$out/xnnpack-avx2.r$r.txt"
	log "round $r/$rounds: edgecnn"
	save=()
	[ "$r" = 1 ] && save=(-save "$out")
	"$out/edgecnn-bench" "${common[@]}" "${save[@]}" >"$out/edgecnn.r$r.txt"
	if EDGECNN_KERNELS=avx2 "$out/edgecnn-bench" -only none >/dev/null 2>&1; then
		log "round $r/$rounds: edgecnn, EDGECNN_KERNELS=avx2"
		EDGECNN_KERNELS=avx2 "$out/edgecnn-bench" "${common[@]}" >"$out/edgecnn-avx2.r$r.txt"
	fi
	log "round $r/$rounds: PyTorch"
	env "${torch_env[@]}" OMP_NUM_THREADS="$threads" /usr/bin/python3 bench/torch/torchbench.py \
		--threads "$threads" --budget "$budget" >"$out/torch.r$r.txt"
done

if [ "$train" = 1 ]; then
	log "LeNet-5 training epoch, 2 threads: edgecnn"
	"$out/edgecnn-bench" -only none -train -train-threads 2 -train-limit "$train_limit" >"$out/edgecnn-train.r1.txt"
	log "LeNet-5 training epoch, 2 threads: PyTorch"
	env "${torch_env[@]}" OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/torchbench.py --only none \
		--train --train-threads 2 --train-limit "$train_limit" >"$out/torch-train.r1.txt"
fi

log "go test -bench (kernels)"
go test -run '^$' -bench 'BenchmarkGemmInt8$|BenchmarkSgemm$|BenchmarkInt8Layers$' -benchtime 200ms -count 3 \
	./kernels/ >"$out/go-test-bench.txt" 2>&1 || log "go test -bench failed (see $out/go-test-bench.txt)"

# `edgecnn bench` is the CLI's own benchmark; older trees do not have it.
if "$out/edgecnn" bench --help >/dev/null 2>&1; then
	log "edgecnn bench"
	: >"$out/edgecnn-cli-bench.txt"
	for m in models/lenet5.int8.safetensors "$out/alexnet.int8.safetensors"; do
		for b in 1 64; do
			"$out/edgecnn" bench --model "$m" --threads "$threads" --batch "$b" --json \
				>>"$out/edgecnn-cli-bench.txt" 2>&1 || log "edgecnn bench --model $m --batch $b failed"
		done
	done
else
	log "this edgecnn has no 'bench' command; bench/edgecnn's numbers stand for it"
fi

/usr/bin/python3 bench/report.py "$out" >"$out/report.md"
cat "$out/report.md"
log "raw results and report.md in $out"
