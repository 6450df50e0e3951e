#!/bin/bash
# bench/arm64/compare.sh: edgecnn and Debian's arm64 XNNPACK on the same
# network, int8, batch 1, one thread, under qemu-aarch64 as a Pi 4
# (cortex-a72) and a Pi 5 (cortex-a76): instructions per inference
# (measured) and the llvm-mca cycle estimate (modelled), side by side.
#
#   bench/arm64/compare.sh [NETWORK ...]     default: mobilenetv2 alexnet lenet
#
# NETWORK: lenet, alexnet (32x32), mobilenetv1, mobilenetv2, resnet18
# (224x224). edgecnn runs through tools/icount/icount.sh model, XNNPACK
# through bench/arm64/xnnpack.sh (run "bench/arm64/xnnpack.sh setup" once);
# their full reports (per layer, per function) are kept in
# $WORK/compare/. Prints a Markdown table; ratios are edgecnn / XNNPACK.
set -euo pipefail
cd "$(dirname "$0")/../.."
export WORK=${WORK:-${TMPDIR:-/tmp}/edgecnn-arm64}
out=$WORK/compare
mkdir -p "$out"

# value FILE CORE WHAT: the number after "WHAT per image" in the section of
# the report for that core.
value() {
	awk -v core="$2" -v what="$3 per image" '
		/^== / { on = index($0, core) > 0 }
		on && index($0, what) == 1 { sub(".*" what "[^:]*: ", ""); print $1; exit }' "$1"
}

rows=()
for net in ${*:-mobilenetv2 alexnet lenet}; do
	case $net in
	lenet) model=lenet5 ;;
	alexnet | mobilenetv1 | mobilenetv2 | resnet18) model=$net ;;
	*) echo "compare.sh: unknown network $net" >&2; exit 2 ;;
	esac
	echo "== $net: edgecnn" >&2
	tools/icount/icount.sh model "$model" >"$out/edgecnn-$net.txt"
	echo "== $net: XNNPACK" >&2
	bench/arm64/xnnpack.sh "$net" >"$out/xnnpack-$net.txt"
	for core in cortex-a72 cortex-a76; do
		ei=$(value "$out/edgecnn-$net.txt" "$core" instructions) xi=$(value "$out/xnnpack-$net.txt" "$core" instructions)
		ec=$(value "$out/edgecnn-$net.txt" "$core" cycles) xc=$(value "$out/xnnpack-$net.txt" "$core" cycles)
		rows+=("$(awk -v n="$net" -v c="$core" -v ei="$ei" -v xi="$xi" -v ec="$ec" -v xc="$xc" 'BEGIN {
			printf "| %s | %s | %.2f M | %.2f M | %.2f | %.2f M | %.2f M | %.2f |", n, c, ei / 1e6, xi / 1e6, ei / xi,
				ec / 1e6, xc / 1e6, ec / xc }')")
	done
done
echo "| network | core (qemu -cpu) | edgecnn instructions | XNNPACK instructions | ratio | edgecnn cycles | XNNPACK cycles | ratio |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Per image, int8, batch 1, one thread. Cycles: llvm-mca on every executed block (A72: LLVM's Cortex-A57 model; A76: its Neoverse N1 model). Reports: $out"
