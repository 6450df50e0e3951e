/*
 * icount: a qemu-user TCG plugin that counts the guest instructions executed
 * in regions of a run (from each execution of one address to the next of
 * another, e.g. the entries of two marker functions called around an
 * inference), splits each region into segments at marked addresses (e.g.
 * the entry of each layer), and records how often each translated block ran
 * in each segment. Debian's qemu-user supports -plugin but ships no header,
 * so the few API declarations used (QEMU plugin API version 1, qemu 7.2) are
 * written out below.
 *
 *   gcc -shared -fPIC -O2 -o icount.so icount.c
 *   qemu-aarch64 -cpu cortex-a72 \
 *     -plugin ./icount.so,begin=0x401000,end=0x401020,skip=1,mark=0x402000:conv,hist=run.hist prog
 *
 * begin=ADDR  a region starts when the instruction at ADDR executes
 * end=ADDR    and ends when the instruction at ADDR executes
 * skip=N      the first N regions are not counted (one-off costs of a first call)
 * mark=ADDR:NAME (repeatable) each execution of ADDR inside a region starts
 *             the region's next segment; segment 0 runs from begin to the
 *             first mark
 * hist=FILE   at exit, write "VADDR NINSNS SEGMENT EXECUTIONS" (hex address)
 *             for every translated block and segment, summed over the
 *             counted regions: what a cycle model needs
 *
 * Only the guest thread (qemu vCPU) that started a region is counted in it:
 * other threads (a Go runtime's sysmon and GC workers) are left out, so a
 * single-threaded computation is counted exactly. At exit it prints on
 * stderr "icount regions N", "icount region R INSNS" per counted region,
 * "icount segment S NAME SUM MIN" per segment (SUM over the regions, MIN of
 * one region), and "icount migrated N" if a region ended on another thread
 * than it began (its count is then incomplete).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *userdata);
typedef void (*vcpu_udata_cb)(unsigned int vcpu_index, void *userdata);

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
extern void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb cb,
                                                 enum qemu_plugin_cb_flags flags, void *userdata);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, vcpu_udata_cb cb,
                                                   enum qemu_plugin_cb_flags flags, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAXMARKS 256
#define MAXSEGS 4096
#define MAXREGIONS 256

/* One translated block, and its executions per segment: a list of
 * (segment, count) pairs, in the order the segments first ran it. */
struct seg_count {
	uint32_t seg;
	uint64_t n;
};
struct block {
	uint64_t vaddr, ninsns;
	struct seg_count *counts;
	uint32_t len, cap, last;
	struct block *next;
};

#define NBUCKETS (1 << 16)
static struct block *buckets[NBUCKETS];

static uint64_t begin_addr, end_addr, skip;
static struct {
	uint64_t addr;
	char name[96];
} marks[MAXMARKS];
static int nmarks;
static const char *hist_path;

/* The region being counted, if any, and the vCPU (guest thread) counting. */
static bool active;
static unsigned int owner;
static uint64_t begins, regions, migrated;
static uint32_t seg;
static uint64_t region_total[MAXREGIONS];
static uint64_t *seg_sum, *seg_min, *seg_cur;
static const char *seg_name[MAXSEGS];
static uint32_t nsegs;

static void *xcalloc(size_t n, size_t size) {
	void *p = calloc(n, size);
	if (p == NULL) {
		fprintf(stderr, "icount: out of memory\n");
		exit(1);
	}
	return p;
}

static struct block *lookup(uint64_t vaddr, uint64_t ninsns) {
	uint64_t h = ((vaddr >> 2) * 0x9E3779B97F4A7C15ull + ninsns) >> 48;
	for (struct block *b = buckets[h]; b; b = b->next) {
		if (b->vaddr == vaddr && b->ninsns == ninsns) return b;
	}
	struct block *b = xcalloc(1, sizeof *b);
	b->vaddr = vaddr;
	b->ninsns = ninsns;
	b->next = buckets[h];
	buckets[h] = b;
	return b;
}

static void on_block(unsigned int vcpu, void *udata) {
	if (!active || vcpu != owner) return;
	struct block *b = udata;
	region_total[regions - 1 < MAXREGIONS ? regions - 1 : MAXREGIONS - 1] += b->ninsns;
	seg_cur[seg] += b->ninsns;
	if (hist_path == NULL) return;
	if (b->len > 0 && b->counts[b->last].seg == seg) {
		b->counts[b->last].n++;
		return;
	}
	for (uint32_t i = 0; i < b->len; i++) {
		if (b->counts[i].seg == seg) {
			b->counts[i].n++;
			b->last = i;
			return;
		}
	}
	if (b->len == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 4;
		b->counts = realloc(b->counts, b->cap * sizeof *b->counts);
		if (b->counts == NULL) {
			fprintf(stderr, "icount: out of memory\n");
			exit(1);
		}
	}
	b->counts[b->len] = (struct seg_count){seg, 1};
	b->last = b->len++;
}

/* close_region adds the segments of the region that ends to the sums. */
static void close_region(void) {
	for (uint32_t s = 0; s <= seg && s < MAXSEGS; s++) {
		seg_sum[s] += seg_cur[s];
		if (regions == 1 || seg_cur[s] < seg_min[s]) seg_min[s] = seg_cur[s];
		seg_cur[s] = 0;
	}
	if (seg + 1 > nsegs) nsegs = seg + 1;
	active = false;
}

static void on_begin(unsigned int vcpu, void *udata) {
	if (active) return; /* a nested begin (recursion or another thread) */
	if (begins++ < skip) return;
	active = true;
	owner = vcpu;
	seg = 0;
	regions++;
	if (seg_name[0] == NULL) seg_name[0] = "(begin)";
}

static void on_end(unsigned int vcpu, void *udata) {
	if (!active) return;
	if (vcpu != owner) migrated++;
	close_region();
}

static void on_mark(unsigned int vcpu, void *udata) {
	if (!active || vcpu != owner) return;
	if (seg + 1 < MAXSEGS) seg++;
	if (seg_name[seg] == NULL) seg_name[seg] = udata;
}

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b = lookup(qemu_plugin_tb_vaddr(tb), n);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, b);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t a = qemu_plugin_insn_vaddr(insn);
		/* end before begin, so that a function that is both ends one
		 * region and starts the next */
		if (end_addr && a == end_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
		if (a == begin_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
		for (int m = 0; m < nmarks; m++) {
			if (a == marks[m].addr)
				qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, marks[m].name);
		}
	}
}

static void at_exit(qemu_plugin_id_t id, void *p) {
	if (active) close_region(); /* a run without end= counts to the exit */
	fprintf(stderr, "icount regions %" PRIu64 "\n", regions);
	for (uint64_t r = 0; r < regions && r < MAXREGIONS; r++)
		fprintf(stderr, "icount region %" PRIu64 " %" PRIu64 "\n", r, region_total[r]);
	for (uint32_t s = 0; s < nsegs; s++)
		fprintf(stderr, "icount segment %u %s %" PRIu64 " %" PRIu64 "\n", s, seg_name[s] ? seg_name[s] : "?",
		        seg_sum[s], seg_min[s]);
	if (migrated) fprintf(stderr, "icount migrated %" PRIu64 "\n", migrated);
	if (hist_path == NULL) return;
	FILE *f = fopen(hist_path, "w");
	if (f == NULL) {
		perror(hist_path);
		return;
	}
	for (int h = 0; h < NBUCKETS; h++) {
		for (struct block *b = buckets[h]; b; b = b->next) {
			for (uint32_t i = 0; i < b->len; i++)
				fprintf(f, "%" PRIx64 " %" PRIu64 " %u %" PRIu64 "\n", b->vaddr, b->ninsns, b->counts[i].seg,
				        b->counts[i].n);
		}
	}
	fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv) {
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL) {
			fprintf(stderr, "icount: bad argument %s\n", argv[i]);
			return -1;
		}
		*eq = 0;
		const char *v = eq + 1;
		if (!strcmp(argv[i], "begin")) {
			begin_addr = strtoull(v, NULL, 0);
		} else if (!strcmp(argv[i], "end")) {
			end_addr = strtoull(v, NULL, 0);
		} else if (!strcmp(argv[i], "skip")) {
			skip = strtoull(v, NULL, 0);
		} else if (!strcmp(argv[i], "hist")) {
			hist_path = strdup(v);
		} else if (!strcmp(argv[i], "mark") && nmarks < MAXMARKS) {
			char *colon;
			marks[nmarks].addr = strtoull(v, &colon, 0);
			snprintf(marks[nmarks].name, sizeof marks[nmarks].name, "%s", *colon == ':' ? colon + 1 : "mark");
			nmarks++;
		} else {
			fprintf(stderr, "icount: unknown argument %s (want begin=, end=, skip=, mark=ADDR:NAME, hist=)\n", argv[i]);
			return -1;
		}
	}
	if (begin_addr == 0) {
		fprintf(stderr, "icount: begin=ADDR is required\n");
		return -1;
	}
	seg_sum = xcalloc(MAXSEGS, sizeof *seg_sum);
	seg_min = xcalloc(MAXSEGS, sizeof *seg_min);
	seg_cur = xcalloc(MAXSEGS, sizeof *seg_cur);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
