// xnnbench times Debian's XNNPACK (libxnnpack-dev, the 2022 snapshot) on the
// shapes of edgecnn's bench/: a square GEMM, every layer of LeNet-5 and of
// the 32x32 AlexNet at batch 1, and both whole networks at batch 1 and 64
// built as a sequence of XNNPACK operators; int8 with per-channel weight
// scales (qc8, edgecnn's scheme; plus the per-tensor qs8 fully connected
// operator on the GEMM) and float32.
//
// XNNPACK works in NHWC; edgecnn in NCHW. The layout changes where the data
// sits, not the work: this program compares compute. Fully connected layers
// in int8 run as 1x1 qc8 convolutions (the fully connected operator of this
// snapshot only has per-tensor weight scales); XNNPACK maps an unpadded 1x1
// convolution to the same GEMM micro-kernels.
//
// Output: one tab-separated line per case, the format bench/report.py reads
// (also printed by bench/edgecnn and bench/torch):
//
//   RESULT xnnpack <dtype> <case> <batch> <median seconds> <MACs> <samples>
//
// Timing: warm up, choose an inner repeat count so that one sample lasts
// about 2 ms, take samples until -min samples and -budget seconds are both
// reached (at most -max; slow cases stop after 3 samples and 10x budget), and
// report the median time per call.
//
// Flags: -threads N (default 1: no thread pool), -budget SECONDS, -min N,
// -max N, -isa auto|avx2 (avx2 hides AVX-512 from XNNPACK by clearing
// cpuinfo's flags before xnn_initialize, so it picks its AVX2 kernels),
// -only gemm,layers,nets.
//
// This is our own code; it uses only the public API declared in xnnpack.h.

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cpuinfo.h>
#include <pthreadpool.h>
#include <xnnpack.h>

// ---------------------------------------------------------------- options

static int opt_threads = 1;
static double opt_budget = 0.5;
static int opt_min = 15;
static int opt_max = 400;
static const char* opt_isa = "auto";
static const char* opt_only = "gemm,layers,nets";

static pthreadpool_t pool = NULL;

static void die(const char* what, enum xnn_status st) {
  fprintf(stderr, "xnnbench: %s failed (xnn_status %d)\n", what, (int) st);
  exit(1);
}

#define CHECK(call)                                   \
  do {                                                \
    enum xnn_status st_ = (call);                     \
    if (st_ != xnn_status_success) die(#call, st_);   \
  } while (0)

static bool wants(const char* group) {
  const char* p = strstr(opt_only, group);
  return p != NULL;
}

// ---------------------------------------------------------------- timing

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*) a, y = *(const double*) b;
  return (x > y) - (x < y);
}

typedef void (*run_fn)(void* ctx);

// measure returns the median seconds per call of fn(ctx); *samples_out gets
// the number of samples.
static double measure(run_fn fn, void* ctx, int* samples_out) {
  double start = now();
  for (int i = 0; i < 3 || now() - start < 0.02; i++) fn(ctx);
  double t0 = now();
  fn(ctx);
  double one = now() - t0;
  long inner = 1;
  if (one < 2e-3) inner = (long) ceil(2e-3 / (one > 1e-8 ? one : 1e-8));

  int cap = opt_max > 3 ? opt_max : 3;
  double* samples = malloc(sizeof(double) * (size_t) cap);
  int n = 0;
  double begin = now();
  for (;;) {
    double t = now();
    for (long i = 0; i < inner; i++) fn(ctx);
    samples[n++] = (now() - t) / (double) inner;
    double el = now() - begin;
    if ((n >= opt_min && el >= opt_budget) || n >= cap || (n >= 3 && el >= 10 * opt_budget)) break;
  }
  qsort(samples, (size_t) n, sizeof(double), cmp_double);
  double med = samples[n / 2];
  free(samples);
  *samples_out = n;
  return med;
}

static void result(const char* dtype, const char* name, int batch, double sec, long long macs, int samples) {
  printf("RESULT\txnnpack\t%s\t%s\t%d\t%.9g\t%lld\t%d\n", dtype, name, batch, sec, macs, samples);
  fflush(stdout);
}

// ---------------------------------------------------------------- data

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void) {
  // xorshift64*
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t) ((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

// Buffers get 64 spare bytes: XNNPACK may read a little past the end of its
// inputs (XNN_EXTRA_BYTES).
static void* alloc(size_t bytes) {
  void* p = calloc(1, bytes + 64);
  if (p == NULL) {
    fprintf(stderr, "xnnbench: out of memory\n");
    exit(1);
  }
  return p;
}

static int8_t* rand_i8(size_t n, int lo) {
  int8_t* p = alloc(n);
  for (size_t i = 0; i < n; i++) p[i] = (int8_t) (lo + (int) (rnd() % (uint32_t) (128 - lo)));
  return p;
}

static float* rand_f32(size_t n) {
  float* p = alloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = (float) rnd() / 4294967296.0f * 2.0f - 1.0f;
  return p;
}

static int32_t* rand_bias(size_t n) {
  int32_t* p = alloc(n * sizeof(int32_t));
  for (size_t i = 0; i < n; i++) p[i] = (int32_t) (rnd() % 2001) - 1000;
  return p;
}

// Quantization of every int8 tensor here: the values only need to be
// valid; they do not change the time.
#define IN_ZP ((int8_t) -128)
#define IN_SCALE 0.05f
#define OUT_ZP ((int8_t) -5)
#define OUT_SCALE 0.5f

static float* kernel_scales(size_t n) {
  float* s = alloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) s[i] = 0.004f + 0.002f * (float) (rnd() % 1000) / 1000.0f;
  return s;
}

// ---------------------------------------------------------------- operators

// A sequence of operators, run one after the other.
typedef struct {
  xnn_operator_t op[24];
  int n;
} seq;

static void run_seq(void* ctx) {
  seq* s = ctx;
  for (int i = 0; i < s->n; i++) {
    enum xnn_status st = xnn_run_operator(s->op[i], pool);
    if (st != xnn_status_success) die("xnn_run_operator", st);
  }
}

static void push(seq* s, xnn_operator_t op) { s->op[s->n++] = op; }

// conv_q8: a k x k stride-1 qc8 convolution over batch x h x w x c (NHWC).
static void conv_q8(seq* s, int batch, int h, int w, int c, int out, int k, int pad, bool relu,
                    const int8_t* in, int8_t* dst) {
  xnn_operator_t op = NULL;
  // XNNPACK packs the weights when it creates the operator.
  int8_t* weights = rand_i8((size_t) out * k * k * c, -127);
  float* scales = kernel_scales(out);
  int32_t* bias = rand_bias(out);
  CHECK(xnn_create_convolution2d_nhwc_qc8(pad, pad, pad, pad, k, k, 1, 1, 1, 1, 1, c, out, c, out,
                                          IN_ZP, IN_SCALE, scales, weights, bias,
                                          OUT_ZP, OUT_SCALE, relu ? OUT_ZP : -128, 127, 0, &op));
  free(weights);
  free(scales);
  free(bias);
  CHECK(xnn_setup_convolution2d_nhwc_qc8(op, batch, h, w, in, dst, pool));
  push(s, op);
}

static void conv_f32(seq* s, int batch, int h, int w, int c, int out, int k, int pad, bool relu,
                     const float* in, float* dst) {
  xnn_operator_t op = NULL;
  float* weights = rand_f32((size_t) out * k * k * c);
  float* bias = rand_f32(out);
  CHECK(xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, k, k, 1, 1, 1, 1, 1, c, out, c, out,
                                          weights, bias, relu ? 0.0f : -INFINITY, INFINITY, 0, &op));
  free(weights);
  free(bias);
  CHECK(xnn_setup_convolution2d_nhwc_f32(op, batch, h, w, in, dst, pool));
  push(s, op);
}

// fc_q8: a fully connected layer of batch rows as a 1x1 qc8 convolution.
static void fc_q8(seq* s, int batch, int in_f, int out_f, bool relu, const int8_t* in, int8_t* dst) {
  conv_q8(s, batch, 1, 1, in_f, out_f, 1, 0, relu, in, dst);
}

static void fc_f32(seq* s, int batch, int in_f, int out_f, bool relu, const float* in, float* dst) {
  xnn_operator_t op = NULL;
  float* weights = rand_f32((size_t) in_f * out_f);
  float* bias = rand_f32(out_f);
  CHECK(xnn_create_fully_connected_nc_f32(in_f, out_f, in_f, out_f, weights, bias,
                                          relu ? 0.0f : -INFINITY, INFINITY, 0, &op));
  free(weights);
  free(bias);
  CHECK(xnn_setup_fully_connected_nc_f32(op, batch, in, dst, pool));
  push(s, op);
}

// pool_*: 2x2 stride-2 max pooling.
static void pool_q8(seq* s, int batch, int h, int w, int c, const int8_t* in, int8_t* dst) {
  xnn_operator_t op = NULL;
  CHECK(xnn_create_max_pooling2d_nhwc_s8(0, 0, 0, 0, 2, 2, 2, 2, 1, 1, c, c, c, -128, 127, 0, &op));
  CHECK(xnn_setup_max_pooling2d_nhwc_s8(op, batch, h, w, in, dst, pool));
  push(s, op);
}

static void pool_f32(seq* s, int batch, int h, int w, int c, const float* in, float* dst) {
  xnn_operator_t op = NULL;
  CHECK(xnn_create_max_pooling2d_nhwc_f32(0, 0, 0, 0, 2, 2, 2, 2, 1, 1, c, c, c, -INFINITY, INFINITY, 0, &op));
  CHECK(xnn_setup_max_pooling2d_nhwc_f32(op, batch, h, w, in, dst, pool));
  push(s, op);
}

static void free_seq(seq* s) {
  for (int i = 0; i < s->n; i++) xnn_delete_operator(s->op[i]);
  s->n = 0;
}

// ---------------------------------------------------------------- the layers

typedef enum { CONV, POOL, FC } kind;

// One layer at batch 1: conv and pool take c x h x w in; fc takes in features.
typedef struct {
  const char* name;
  kind kind;
  int c, h, w, k, pad, out, in;
  bool relu;
} layer;

static const layer layers[] = {
  {"lenet.conv1", CONV, 1, 32, 32, 5, 0, 6, 0, true},
  {"lenet.pool1", POOL, 6, 28, 28, 2, 0, 0, 0, false},
  {"lenet.conv2", CONV, 6, 14, 14, 5, 0, 16, 0, true},
  {"lenet.pool2", POOL, 16, 10, 10, 2, 0, 0, 0, false},
  {"lenet.fc1", FC, 0, 0, 0, 0, 0, 120, 400, true},
  {"lenet.fc2", FC, 0, 0, 0, 0, 0, 84, 120, true},
  {"lenet.fc3", FC, 0, 0, 0, 0, 0, 10, 84, false},
  {"alexnet.conv1", CONV, 1, 32, 32, 11, 1, 96, 0, true},
  {"alexnet.pool1", POOL, 96, 24, 24, 2, 0, 0, 0, false},
  {"alexnet.conv2", CONV, 96, 12, 12, 3, 1, 256, 0, true},
  {"alexnet.pool2", POOL, 256, 12, 12, 2, 0, 0, 0, false},
  {"alexnet.conv3", CONV, 256, 6, 6, 3, 1, 384, 0, true},
  {"alexnet.conv4", CONV, 384, 6, 6, 3, 1, 384, 0, true},
  {"alexnet.conv5", CONV, 384, 6, 6, 3, 1, 256, 0, true},
  {"alexnet.pool5", POOL, 256, 6, 6, 2, 0, 0, 0, false},
  {"alexnet.fc1", FC, 0, 0, 0, 0, 0, 4096, 2304, true},
  {"alexnet.fc2", FC, 0, 0, 0, 0, 0, 4096, 4096, true},
  {"alexnet.fc3", FC, 0, 0, 0, 0, 0, 10, 4096, false},
};

static int conv_out(const layer* l) { return l->h + 2 * l->pad - l->k + 1; }

static long long layer_macs(const layer* l) {
  if (l->kind == CONV) {
    long long o = conv_out(l);
    return (long long) l->out * l->c * l->k * l->k * o * o;
  }
  if (l->kind == FC) return (long long) l->in * l->out;
  return 0;
}

static void bench_layer(const layer* l) {
  seq s = {0};
  int samples;
  double sec;
  size_t in_n, out_n;
  if (l->kind == CONV) {
    int o = conv_out(l);
    in_n = (size_t) l->c * l->h * l->w;
    out_n = (size_t) l->out * o * o;
  } else if (l->kind == POOL) {
    in_n = (size_t) l->c * l->h * l->w;
    out_n = (size_t) l->c * (l->h / 2) * (l->w / 2);
  } else {
    in_n = (size_t) l->in;
    out_n = (size_t) l->out;
  }

  int8_t* qi = rand_i8(in_n, -128);
  int8_t* qo = alloc(out_n);
  if (l->kind == CONV) conv_q8(&s, 1, l->h, l->w, l->c, l->out, l->k, l->pad, l->relu, qi, qo);
  if (l->kind == POOL) pool_q8(&s, 1, l->h, l->w, l->c, qi, qo);
  if (l->kind == FC) fc_q8(&s, 1, l->in, l->out, l->relu, qi, qo);
  sec = measure(run_seq, &s, &samples);
  result("int8", l->name, 1, sec, layer_macs(l), samples);
  free_seq(&s);

  float* fi = rand_f32(in_n);
  float* fo = alloc(out_n * sizeof(float));
  if (l->kind == CONV) conv_f32(&s, 1, l->h, l->w, l->c, l->out, l->k, l->pad, l->relu, fi, fo);
  if (l->kind == POOL) pool_f32(&s, 1, l->h, l->w, l->c, fi, fo);
  if (l->kind == FC) fc_f32(&s, 1, l->in, l->out, l->relu, fi, fo);
  sec = measure(run_seq, &s, &samples);
  result("f32", l->name, 1, sec, layer_macs(l), samples);
  free_seq(&s);
  free(qi);
  free(qo);
  free(fi);
  free(fo);
}

// ---------------------------------------------------------------- the GEMM

static void bench_gemm(int n) {
  seq s = {0};
  int samples;
  char name[32];
  snprintf(name, sizeof name, "gemm.%d", n);
  long long macs = (long long) n * n * n;
  size_t nn = (size_t) n * n;

  // int8, per-channel weights: n pixels of n channels, a 1x1 qc8 convolution.
  int8_t* a = rand_i8(nn, -128);
  int8_t* c = alloc(nn);
  conv_q8(&s, 1, 1, n, n, n, 1, 0, false, a, c);
  double sec = measure(run_seq, &s, &samples);
  result("int8", name, 1, sec, macs, samples);
  free_seq(&s);

  // int8, per-tensor weights: the qs8 fully connected operator.
  xnn_operator_t op = NULL;
  int8_t* w = rand_i8(nn, -127);
  int32_t* bias = rand_bias(n);
  CHECK(xnn_create_fully_connected_nc_qs8(n, n, n, n, IN_ZP, IN_SCALE, 0.005f, w, bias,
                                          OUT_ZP, OUT_SCALE, -128, 127, 0, &op));
  free(w);
  free(bias);
  CHECK(xnn_setup_fully_connected_nc_qs8(op, n, a, c, pool));
  push(&s, op);
  sec = measure(run_seq, &s, &samples);
  result("int8-qs8", name, 1, sec, macs, samples);
  free_seq(&s);

  float* fa = rand_f32(nn);
  float* fc = alloc(nn * sizeof(float));
  fc_f32(&s, n, n, n, false, fa, fc);
  sec = measure(run_seq, &s, &samples);
  result("f32", name, 1, sec, macs, samples);
  free_seq(&s);
  free(a);
  free(c);
  free(fa);
  free(fc);
}

// ---------------------------------------------------------------- the networks

// Activations of one network, sized for a batch; bufs alternate.
typedef struct {
  void* buf[2];
} pingpong;

static pingpong pingpong_new(size_t bytes) {
  pingpong p = {{alloc(bytes), alloc(bytes)}};
  return p;
}

static void build_lenet(seq* s, int b, bool q8, void* input, pingpong* p) {
  void *x = p->buf[0], *y = p->buf[1];
  if (q8) {
    conv_q8(s, b, 32, 32, 1, 6, 5, 0, true, input, x);
    pool_q8(s, b, 28, 28, 6, x, y);
    conv_q8(s, b, 14, 14, 6, 16, 5, 0, true, y, x);
    pool_q8(s, b, 10, 10, 16, x, y);
    fc_q8(s, b, 400, 120, true, y, x);
    fc_q8(s, b, 120, 84, true, x, y);
    fc_q8(s, b, 84, 10, false, y, x);
  } else {
    conv_f32(s, b, 32, 32, 1, 6, 5, 0, true, input, x);
    pool_f32(s, b, 28, 28, 6, x, y);
    conv_f32(s, b, 14, 14, 6, 16, 5, 0, true, y, x);
    pool_f32(s, b, 10, 10, 16, x, y);
    fc_f32(s, b, 400, 120, true, y, x);
    fc_f32(s, b, 120, 84, true, x, y);
    fc_f32(s, b, 84, 10, false, y, x);
  }
}

static void build_alexnet(seq* s, int b, bool q8, void* input, pingpong* p) {
  void *x = p->buf[0], *y = p->buf[1];
  if (q8) {
    conv_q8(s, b, 32, 32, 1, 96, 11, 1, true, input, x);
    pool_q8(s, b, 24, 24, 96, x, y);
    conv_q8(s, b, 12, 12, 96, 256, 3, 1, true, y, x);
    pool_q8(s, b, 12, 12, 256, x, y);
    conv_q8(s, b, 6, 6, 256, 384, 3, 1, true, y, x);
    conv_q8(s, b, 6, 6, 384, 384, 3, 1, true, x, y);
    conv_q8(s, b, 6, 6, 384, 256, 3, 1, true, y, x);
    pool_q8(s, b, 6, 6, 256, x, y);
    fc_q8(s, b, 2304, 4096, true, y, x);
    fc_q8(s, b, 4096, 4096, true, x, y);
    fc_q8(s, b, 4096, 10, false, y, x);
  } else {
    conv_f32(s, b, 32, 32, 1, 96, 11, 1, true, input, x);
    pool_f32(s, b, 24, 24, 96, x, y);
    conv_f32(s, b, 12, 12, 96, 256, 3, 1, true, y, x);
    pool_f32(s, b, 12, 12, 256, x, y);
    conv_f32(s, b, 6, 6, 256, 384, 3, 1, true, y, x);
    conv_f32(s, b, 6, 6, 384, 384, 3, 1, true, x, y);
    conv_f32(s, b, 6, 6, 384, 256, 3, 1, true, y, x);
    pool_f32(s, b, 6, 6, 256, x, y);
    fc_f32(s, b, 2304, 4096, true, y, x);
    fc_f32(s, b, 4096, 4096, true, x, y);
    fc_f32(s, b, 4096, 10, false, y, x);
  }
}

// MACs per image.
static const long long lenet_macs = 117600LL + 240000 + 48000 + 10080 + 840;
static const long long alexnet_macs = 6690816LL + 31850496 + 31850496 + 47775744 + 31850496 + 9437184 + 16777216 + 40960;

static void bench_nets(void) {
  static const int batches[] = {1, 64};
  for (int net = 0; net < 2; net++) {
    for (int q = 1; q >= 0; q--) {
      for (int bi = 0; bi < 2; bi++) {
        int b = batches[bi];
        size_t elem = q ? 1 : sizeof(float);
        // The largest activation: LeNet conv1 6x28x28; AlexNet conv1 96x24x24.
        size_t biggest = net == 0 ? 6 * 28 * 28 : 96 * 24 * 24;
        pingpong p = pingpong_new((size_t) b * biggest * elem);
        void* input = q ? (void*) rand_i8((size_t) b * 32 * 32, -128) : (void*) rand_f32((size_t) b * 32 * 32);
        seq s = {0};
        if (net == 0) build_lenet(&s, b, q, input, &p);
        else build_alexnet(&s, b, q, input, &p);
        int samples;
        double sec = measure(run_seq, &s, &samples);
        result(q ? "int8" : "f32", net == 0 ? "lenet" : "alexnet", b, sec,
               (net == 0 ? lenet_macs : alexnet_macs) * b, samples);
        free_seq(&s);
        free(input);
        free(p.buf[0]);
        free(p.buf[1]);
      }
    }
  }
}

// ---------------------------------------------------------------- main

static void usage(void) {
  fprintf(stderr, "usage: xnnbench [-threads N] [-budget SECONDS] [-min N] [-max N] [-isa auto|avx2] [-only gemm,layers,nets]\n");
  exit(2);
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (a[0] == '-' && a[1] == '-') a++;
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (strcmp(a, "-threads") == 0) opt_threads = atoi(v);
    else if (strcmp(a, "-budget") == 0) opt_budget = atof(v);
    else if (strcmp(a, "-min") == 0) opt_min = atoi(v);
    else if (strcmp(a, "-max") == 0) opt_max = atoi(v);
    else if (strcmp(a, "-isa") == 0) opt_isa = v;
    else if (strcmp(a, "-only") == 0) opt_only = v;
    else usage();
  }

  if (!cpuinfo_initialize()) {
    fprintf(stderr, "xnnbench: cpuinfo_initialize failed\n");
    return 1;
  }
  if (strcmp(opt_isa, "avx2") == 0) {
    // XNNPACK chooses its kernels from cpuinfo's flags once, in
    // xnn_initialize: hide AVX-512 so that it takes the AVX2 ones.
    cpuinfo_isa.avx512f = cpuinfo_isa.avx512cd = cpuinfo_isa.avx512dq = cpuinfo_isa.avx512bw = false;
    cpuinfo_isa.avx512vl = cpuinfo_isa.avx512vnni = cpuinfo_isa.avx512ifma = cpuinfo_isa.avx512vbmi = false;
    cpuinfo_isa.avx512vbmi2 = cpuinfo_isa.avx512bitalg = cpuinfo_isa.avx512vpopcntdq = false;
    cpuinfo_isa.avx512bf16 = cpuinfo_isa.avx512pf = cpuinfo_isa.avx512er = false;
    cpuinfo_isa.avx512vp2intersect = cpuinfo_isa.avx512_4vnniw = cpuinfo_isa.avx512_4fmaps = false;
  } else if (strcmp(opt_isa, "auto") != 0) {
    usage();
  }
  CHECK(xnn_initialize(NULL));
  if (opt_threads > 1) pool = pthreadpool_create((size_t) opt_threads);

  printf("# xnnpack isa %s (cpuinfo: avx2 %d fma3 %d avx512f %d avx512bw %d avx512vnni %d), threads %d\n",
         opt_isa, cpuinfo_has_x86_avx2(), cpuinfo_has_x86_fma3(), cpuinfo_has_x86_avx512f(),
         cpuinfo_has_x86_avx512bw(), cpuinfo_has_x86_avx512vnni(), opt_threads);
  const char* path = strcmp(opt_isa, "avx2") == 0 ? "avx2" : (cpuinfo_has_x86_avx512bw() ? "avx512" : "auto");
  printf("PATH\txnnpack\t%s\n", path);

  if (wants("gemm")) bench_gemm(512);
  if (wants("layers"))
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) bench_layer(&layers[i]);
  if (wants("nets")) bench_nets();

  if (pool != NULL) pthreadpool_destroy(pool);
  xnn_deinitialize();
  return 0;
}
