/*
 * icount: a qemu-user TCG plugin that counts executed guest instructions,
 * in total and inside named address ranges (symbols of a Go binary, from
 * go tool nm -size). Debian's qemu-user supports -plugin but ships no header,
 * so the few API declarations used (QEMU plugin API version 1, qemu 7.2) are
 * written out below.
 *
 *   gcc -shared -fPIC -O2 -o icount.so icount.c
 *   qemu-aarch64 -cpu cortex-a72 -plugin ./icount.so,range=0x1000:0x2000:kernel,mark=0x3000:layer prog
 *
 * At exit it prints "icount total N" and "icount NAME N" for each range on
 * stderr. Counting is inline (no callback per instruction); counts of
 * concurrent threads may race, which only matters for multi-threaded code.
 *
 * mark=ADDR:NAME arguments name addresses (function entries) whose every
 * execution takes a snapshot of the counters. At exit each snapshot is
 * printed, in execution order, as "icount mark NAME TOTAL R1 R2 ...": the
 * total and the count of each range (in the order of the range arguments)
 * when the marked instruction was reached. The differences between
 * consecutive snapshots attribute the counts to what ran in between, e.g. to
 * the layers of a model when the marks are the layers' entry points.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *userdata);
typedef void (*vcpu_udata_cb)(unsigned int vcpu_index, void *userdata);

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
extern void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                       void *ptr, uint64_t imm);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, vcpu_udata_cb cb,
                                                   enum qemu_plugin_cb_flags flags, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAXRANGES 64

static struct {
	uint64_t lo, hi, count;
	char name[128];
} ranges[MAXRANGES];
static int nranges;
static uint64_t total;

/* Marked addresses, and the snapshots taken when they ran. */
static struct {
	uint64_t pc;
	char name[128];
} marks[MAXRANGES];
static int nmarks;

struct snapshot {
	int mark;
	uint64_t total, counts[MAXRANGES];
};
static struct snapshot *snaps;
static size_t nsnaps, capsnaps;

static void snap(unsigned int vcpu, void *userdata) {
	if (nsnaps == capsnaps) {
		capsnaps = capsnaps ? 2 * capsnaps : 1024;
		snaps = realloc(snaps, capsnaps * sizeof *snaps);
		if (snaps == NULL) {
			fprintf(stderr, "icount: out of memory for marks\n");
			exit(1);
		}
	}
	struct snapshot *s = &snaps[nsnaps++];
	s->mark = (int)(intptr_t)userdata;
	s->total = total;
	for (int r = 0; r < nranges; r++) {
		s->counts[r] = ranges[r].count;
	}
}

static void translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
	size_t n = qemu_plugin_tb_n_insns(tb);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t pc = qemu_plugin_insn_vaddr(insn);
		for (int m = 0; m < nmarks; m++) {
			if (pc == marks[m].pc) {
				qemu_plugin_register_vcpu_insn_exec_cb(insn, snap, QEMU_PLUGIN_CB_NO_REGS, (void *)(intptr_t)m);
			}
		}
		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &total, 1);
		for (int r = 0; r < nranges; r++) {
			if (pc >= ranges[r].lo && pc < ranges[r].hi) {
				qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &ranges[r].count, 1);
			}
		}
	}
}

static void report(qemu_plugin_id_t id, void *p) {
	fprintf(stderr, "icount total %" PRIu64 "\n", total);
	for (int r = 0; r < nranges; r++) {
		fprintf(stderr, "icount %s %" PRIu64 "\n", ranges[r].name, ranges[r].count);
	}
	for (size_t i = 0; i < nsnaps; i++) {
		fprintf(stderr, "icount mark %s %" PRIu64, marks[snaps[i].mark].name, snaps[i].total);
		for (int r = 0; r < nranges; r++) {
			fprintf(stderr, " %" PRIu64, snaps[i].counts[r]);
		}
		fprintf(stderr, "\n");
	}
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv) {
	for (int i = 0; i < argc; i++) {
		uint64_t lo, hi;
		char name[128];
		if (nranges < MAXRANGES && sscanf(argv[i], "range=%" SCNx64 ":%" SCNx64 ":%127s", &lo, &hi, name) == 3) {
			ranges[nranges].lo = lo;
			ranges[nranges].hi = hi;
			strcpy(ranges[nranges].name, name);
			nranges++;
			continue;
		}
		if (nmarks < MAXRANGES && sscanf(argv[i], "mark=%" SCNx64 ":%127s", &lo, name) == 2) {
			marks[nmarks].pc = lo;
			strcpy(marks[nmarks].name, name);
			nmarks++;
			continue;
		}
		fprintf(stderr, "icount: bad argument %s (want range=LO:HI:NAME or mark=ADDR:NAME, hex addresses)\n", argv[i]);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, translate);
	qemu_plugin_register_atexit_cb(id, report, NULL);
	return 0;
}
