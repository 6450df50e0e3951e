#!/bin/bash
# Times one training step of edgecnn (BenchmarkStep) and of PyTorch
# (torch_step.py) on the same architecture, batch 128, SGD with momentum and
# weight decay, 2 threads, alternating the two in each round so that both
# see the same load on a shared machine.
#
#   [BATCH=N] train/testdata/compare_step.sh [ROUNDS [STEPS [ARCH...]]]   # defaults: 3 10 resnet20 mobilenetv2
#
# Each line is one run: wall ms per step and CPU ms per step (both threads,
# user and system). Run it under nice on a shared machine. BATCH (default
# 128) sets both batch sizes; PyTorch's googlenet and densenet need a
# smaller one (32: 1.3 GB each) to stay under 4 GB.
set -euo pipefail
rounds=${1:-3}
steps=${2:-10}
batch=${BATCH:-128}
shift $(( $# < 2 ? $# : 2 ))
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(resnet20 mobilenetv2)
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$here" && go test -c -o "$bin/train.test" .)
cd "$here"
for round in $(seq "$rounds"); do
	for arch in "${archs[@]}"; do
		"$bin/train.test" -test.run '^$' -test.bench "Step/^$arch\$" -test.benchtime "${steps}x" -step.batch "$batch" |
			awk -v r="$round" -v a="$arch" '/^BenchmarkStep/ {
				for (i = 1; i < NF; i++) { if ($(i+1) == "ns/op") w = $i / 1e6; if ($(i+1) == "cpu-ms/step") c = $i }
				printf "round %s %-12s edgecnn ms/step %8.1f cpu-ms/step %8.1f\n", r, a, w, c }'
		/usr/bin/python3 testdata/torch_step.py "$arch" "$steps" "$batch" |
			awk -v r="$round" -v a="$arch" '/^ms\/step/ { printf "round %s %-12s pytorch ms/step %8.1f cpu-ms/step %8.1f\n", r, a, $2, $4 }'
	done
done
