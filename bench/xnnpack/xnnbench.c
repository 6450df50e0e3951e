// xnnbench times Debian's XNNPACK (libxnnpack-dev, the 2022 snapshot) on the
// shapes of edgecnn's bench/: a square GEMM, every layer of LeNet-5 and of
// the 32x32 AlexNet at batch 1, and whole networks built as a sequence of
// XNNPACK operators: LeNet-5 and the 32x32 AlexNet (batch 1 and 64),
// MobileNet v1, MobileNet v2 and ResNet-18 at 224x224 (batch 1 and 8), with
// the layers, windows and residual adds of internal/randmodel's networks.
// int8 with per-channel weight scales (qc8, edgecnn's scheme; plus the
// per-tensor qs8 fully connected operator on the GEMM) and float32.
//
// XNNPACK works in NHWC; edgecnn in NCHW. The layout changes where the data
// sits, not the work: this program compares compute. Fully connected layers
// in int8 run as 1x1 qc8 convolutions (the fully connected operator of this
// snapshot only has per-tensor weight scales); XNNPACK maps an unpadded 1x1
// convolution to the same GEMM micro-kernels. A depthwise convolution is a
// convolution with one input and one output channel per group, which
// XNNPACK runs on its depthwise micro-kernels. ReLU and ReLU6 are fused into
// the operator before them (the clamp of its output), a residual add's ReLU
// into the add. Operators write into buffers reused as soon as no later
// operator reads them, as an engine's memory planner would.
//
// Output: tab-separated lines in the format bench/report.py reads (also
// printed by bench/edgecnn and bench/torch):
//
//   RESULT xnnpack <dtype> <case> <batch> <median seconds> <MACs> <samples> <threads> <median CPU seconds>
//   LAYER xnnpack <dtype> <case> <batch> <threads> <index> <name> <kind> <median seconds> <MACs>
//
// LAYER lines time each operator of a whole network at batch 1 (the median
// over -budget seconds of runs); kind is conv, pwconv, dwconv, fc, add,
// maxpool or avgpool, as in bench/edgecnn.
//
// Timing: warm up, choose an inner repeat count so that one sample lasts
// about 2 ms, take samples until -min samples and -budget seconds are both
// reached (at most -max; slow cases stop after 3 samples and 10x budget), and
// report the median per call of the wall time and of the process's CPU time.
//
// Counting instead of timing (for the arm64 build under qemu, see
// bench/arm64): -count N runs each selected network once to warm up, then N
// times between calls of the marker functions xc_begin and xc_end, with
// xc_layer before each operator, and prints the load address of every
// object ("object NAME base ADDR"), the case and its layers' MACs.
//
// Flags: -threads N (default 1: no thread pool), -budget SECONDS, -min N,
// -max N, -only GROUPS (gemm, layers, nets = lenet,alexnet, mobile =
// mobilenetv1,mobilenetv2,resnet18, or network names), -dtypes int8,f32,
// -batches B,... (instead of each network's own), -count N; on x86-64
// -isa auto|avx2 (avx2 hides AVX-512 from XNNPACK by clearing cpuinfo's flags
// before xnn_initialize, so it picks its AVX2 kernels); on arm64 -uarch
// cortex-a72|cortex-a76|... (sets the core cpuinfo reports, which decides
// XNNPACK's micro-kernels: under qemu-user cpuinfo cannot read it).
//
// This is our own code; it uses only the public API declared in xnnpack.h
// and cpuinfo.h (and, for -uarch, cpuinfo's tables, written once by
// cpuinfo_initialize).

#define _GNU_SOURCE
#include <link.h>
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
static int opt_count = 0;
static const char* opt_isa = "auto";
static const char* opt_uarch = "";
static const char* opt_only = "gemm,layers,nets,mobile";
static const char* opt_dtypes = "int8,f32";
static const char* opt_batches = "";

static pthreadpool_t pool = NULL;

static void die(const char* what, enum xnn_status st) {
  fprintf(stderr, "xnnbench: %s failed (xnn_status %d)\n", what, (int) st);
  exit(1);
}

#define CHECK(call)                                 \
  do {                                              \
    enum xnn_status st_ = (call);                   \
    if (st_ != xnn_status_success) die(#call, st_); \
  } while (0)

// in_list reports whether word is an item of the comma-separated list.
static bool in_list(const char* list, const char* word) {
  size_t n = strlen(word);
  for (const char* p = list; (p = strstr(p, word)) != NULL; p += n) {
    if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return true;
  }
  return false;
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

static double median(double* v, int n) {
  qsort(v, (size_t) n, sizeof(double), cmp_double);
  return v[n / 2];
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

typedef void (*run_fn)(void* ctx);

// timing is what measure found: the median wall time of one call, the
// median process CPU time of one call (every thread), and the samples.
typedef struct {
  double wall, cpu;
  int samples;
} timing;

// measure times calls of fn(ctx).
static timing measure(run_fn fn, void* ctx) {
  double start = now();
  for (int i = 0; i < 3 || now() - start < 0.02; i++) fn(ctx);
  double t0 = now();
  fn(ctx);
  double one = now() - t0;
  long inner = 1;
  if (one < 2e-3) inner = (long) ceil(2e-3 / (one > 1e-8 ? one : 1e-8));

  int cap = opt_max > 3 ? opt_max : 3;
  double* wall = malloc(sizeof(double) * (size_t) cap);
  double* cpu = malloc(sizeof(double) * (size_t) cap);
  int n = 0;
  double begin = now();
  for (;;) {
    double t = now(), c = cpu_now();
    for (long i = 0; i < inner; i++) fn(ctx);
    wall[n] = (now() - t) / (double) inner;
    cpu[n++] = (cpu_now() - c) / (double) inner;
    double el = now() - begin;
    if ((n >= opt_min && el >= opt_budget) || n >= cap || (n >= 3 && el >= 10 * opt_budget)) break;
  }
  timing r = {median(wall, n), median(cpu, n), n};
  free(wall);
  free(cpu);
  return r;
}

static void result(const char* dtype, const char* name, int batch, int threads, timing t, long long macs) {
  printf("RESULT\txnnpack\t%s\t%s\t%d\t%.9g\t%lld\t%d\t%d\t%.9g\n", dtype, name, batch, t.wall, macs, t.samples,
         threads, t.cpu);
  fflush(stdout);
}

// Marker functions for -count: the instruction-counting plugin watches
// their first instruction.
__attribute__((noinline, used)) void xc_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline, used)) void xc_end(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline, used)) void xc_layer(void) { __asm__ volatile("" ::: "memory"); }

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
  void* p = NULL;
  if (posix_memalign(&p, 64, bytes + 64) != 0) {
    fprintf(stderr, "xnnbench: out of memory\n");
    exit(1);
  }
  memset(p, 0, bytes + 64);
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

static float* kernel_scales(size_t n) {
  float* s = alloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) s[i] = 0.004f + 0.002f * (float) (rnd() % 1000) / 1000.0f;
  return s;
}

// ---------------------------------------------------------------- networks

// The int8 quantization of tensors: the values only need to be valid (they
// do not change the time). A ReLU6 output spans [0, 6] as TFLite quantizes
// it; other tensors get fixed scales.
#define IN_ZP ((int8_t) -128)
#define IN_SCALE 0.05f

typedef enum { CONV, MAXPOOL, GAP, ADD, FC } kind_t;
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 6 };

// A node of a network at batch 1: one XNNPACK operator.
typedef struct {
  char name[40];
  kind_t kind;
  int in0, in1;                   // input nodes (-1: the network input); in1 for ADD
  int k, stride, pad, groups, out;  // CONV and MAXPOOL window; CONV and FC outputs
  int act;                        // activation fused into the output
  int c, h, w;                    // output shape (FC: c features, h = w = 1)
  long long macs;
} node_t;

#define MAXNODES 96

typedef struct {
  const char* name;
  int c, h, w;         // input shape
  int batches[2];      // the batches it is timed at
  int n;
  node_t nodes[MAXNODES];
} net_t;

static const node_t* input_of(const net_t* g, int i, int* c, int* h, int* w) {
  int src = g->nodes[i].in0;
  if (src < 0) {
    *c = g->c, *h = g->h, *w = g->w;
    return NULL;
  }
  *c = g->nodes[src].c, *h = g->nodes[src].h, *w = g->nodes[src].w;
  return &g->nodes[src];
}

static int push(net_t* g, node_t nd) {
  if (g->n == MAXNODES) {
    fprintf(stderr, "xnnbench: %s has more than %d operators\n", g->name, MAXNODES);
    exit(1);
  }
  g->nodes[g->n] = nd;
  int i = g->n++;
  node_t* d = &g->nodes[i];
  int c, h, w;
  input_of(g, i, &c, &h, &w);
  switch (d->kind) {
    case CONV:
      d->c = d->out;
      d->h = (h + 2 * d->pad - d->k) / d->stride + 1;
      d->w = (w + 2 * d->pad - d->k) / d->stride + 1;
      d->macs = (long long) d->c * d->h * d->w * (c / d->groups) * d->k * d->k;
      break;
    case MAXPOOL:
      d->c = c;
      d->h = (h + 2 * d->pad - d->k) / d->stride + 1;
      d->w = (w + 2 * d->pad - d->k) / d->stride + 1;
      break;
    case GAP:
      d->c = c, d->h = d->w = 1;
      break;
    case ADD:
      d->c = c, d->h = h, d->w = w;
      break;
    case FC:
      d->c = d->out, d->h = d->w = 1;
      d->macs = (long long) c * h * w * d->out;
      break;
  }
  return i;
}

static int conv(net_t* g, const char* name, int in, int out, int k, int stride, int pad, int groups, int act) {
  node_t d = {.kind = CONV, .in0 = in, .k = k, .stride = stride, .pad = pad, .groups = groups, .out = out, .act = act};
  snprintf(d.name, sizeof d.name, "%s", name);
  return push(g, d);
}

static int maxpool(net_t* g, const char* name, int in, int k, int stride, int pad) {
  node_t d = {.kind = MAXPOOL, .in0 = in, .k = k, .stride = stride, .pad = pad};
  snprintf(d.name, sizeof d.name, "%s", name);
  return push(g, d);
}

static int gap(net_t* g, const char* name, int in) {
  node_t d = {.kind = GAP, .in0 = in};
  snprintf(d.name, sizeof d.name, "%s", name);
  return push(g, d);
}

static int add(net_t* g, const char* name, int a, int b, int act) {
  node_t d = {.kind = ADD, .in0 = a, .in1 = b, .act = act};
  snprintf(d.name, sizeof d.name, "%s", name);
  return push(g, d);
}

static int fc(net_t* g, const char* name, int in, int out, int act) {
  node_t d = {.kind = FC, .in0 = in, .out = out, .act = act};
  snprintf(d.name, sizeof d.name, "%s", name);
  return push(g, d);
}

static void start(net_t* g, const char* name, int c, int h, int w, int b0, int b1) {
  memset(g, 0, sizeof *g);
  g->name = name, g->c = c, g->h = h, g->w = w, g->batches[0] = b0, g->batches[1] = b1;
}

// LeNet-5 and the 32x32 AlexNet, as nn.Build makes them (ReLU, 2x2 max pools).
static void lenet(net_t* g) {
  start(g, "lenet", 1, 32, 32, 1, 64);
  int x = conv(g, "conv1", -1, 6, 5, 1, 0, 1, ACT_RELU);
  x = maxpool(g, "pool1", x, 2, 2, 0);
  x = conv(g, "conv2", x, 16, 5, 1, 0, 1, ACT_RELU);
  x = maxpool(g, "pool2", x, 2, 2, 0);
  x = fc(g, "fc1", x, 120, ACT_RELU);
  x = fc(g, "fc2", x, 84, ACT_RELU);
  fc(g, "fc3", x, 10, ACT_NONE);
}

static void alexnet(net_t* g) {
  start(g, "alexnet", 1, 32, 32, 1, 64);
  int x = conv(g, "conv1", -1, 96, 11, 1, 1, 1, ACT_RELU);
  x = maxpool(g, "pool1", x, 2, 2, 0);
  x = conv(g, "conv2", x, 256, 3, 1, 1, 1, ACT_RELU);
  x = maxpool(g, "pool2", x, 2, 2, 0);
  x = conv(g, "conv3", x, 384, 3, 1, 1, 1, ACT_RELU);
  x = conv(g, "conv4", x, 384, 3, 1, 1, 1, ACT_RELU);
  x = conv(g, "conv5", x, 256, 3, 1, 1, 1, ACT_RELU);
  x = maxpool(g, "pool5", x, 2, 2, 0);
  x = fc(g, "fc1", x, 4096, ACT_RELU);
  x = fc(g, "fc2", x, 4096, ACT_RELU);
  fc(g, "fc3", x, 10, ACT_NONE);
}

// The 224x224 networks, layer for layer as internal/randmodel builds them
// (and named as it names them): convolutions padded by (k-1)/2.
static int cv(net_t* g, const char* name, int in, int out, int k, int stride, int groups, int act) {
  return conv(g, name, in, out, k, stride, (k - 1) / 2, groups, act);
}

static void head(net_t* g, int x, const char* fc_name) {
  x = gap(g, "avgpool", x);
  fc(g, fc_name, x, 1000, ACT_NONE);
}

static void mobilenetv1(net_t* g) {
  static const int blocks[13][2] = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1},
                                    {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  start(g, "mobilenetv1", 3, 224, 224, 1, 8);
  int x = cv(g, "features.0.0", -1, 32, 3, 2, 1, ACT_RELU6), in = 32;
  char name[40];
  for (int i = 0; i < 13; i++) {
    snprintf(name, sizeof name, "features.%d.0.0", i + 1);
    x = cv(g, name, x, in, 3, blocks[i][1], in, ACT_RELU6);
    snprintf(name, sizeof name, "features.%d.1.0", i + 1);
    x = cv(g, name, x, blocks[i][0], 1, 1, 1, ACT_RELU6);
    in = blocks[i][0];
  }
  head(g, x, "classifier");
}

static void mobilenetv2(net_t* g) {
  static const int cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  start(g, "mobilenetv2", 3, 224, 224, 1, 8);
  int x = cv(g, "features.0.0", -1, 32, 3, 2, 1, ACT_RELU6), in = 32, f = 1;
  char name[40];
  for (int s = 0; s < 7; s++) {
    for (int j = 0; j < cfg[s][2]; j++, f++) {
      int t = cfg[s][0], out = cfg[s][1], stride = j == 0 ? cfg[s][3] : 1, hidden = in * t, y = x, k = 0;
      if (t != 1) {
        snprintf(name, sizeof name, "features.%d.conv.%d.0", f, k++);
        y = cv(g, name, y, hidden, 1, 1, 1, ACT_RELU6);
      }
      snprintf(name, sizeof name, "features.%d.conv.%d.0", f, k++);
      y = cv(g, name, y, hidden, 3, stride, hidden, ACT_RELU6);
      snprintf(name, sizeof name, "features.%d.conv.%d", f, k);
      y = cv(g, name, y, out, 1, 1, 1, ACT_NONE);
      if (stride == 1 && in == out) {
        snprintf(name, sizeof name, "features.%d.add", f);
        y = add(g, name, y, x, ACT_NONE);
      }
      x = y, in = out;
    }
  }
  snprintf(name, sizeof name, "features.%d.0", f);
  x = cv(g, name, x, 1280, 1, 1, 1, ACT_RELU6);
  head(g, x, "classifier.1");
}

static void resnet18(net_t* g) {
  start(g, "resnet18", 3, 224, 224, 1, 8);
  int x = cv(g, "conv1", -1, 64, 7, 2, 1, ACT_RELU), in = 64;
  x = maxpool(g, "maxpool", x, 3, 2, 1);
  char name[40];
  for (int s = 0; s < 4; s++) {
    int planes = 64 << s;
    for (int b = 0; b < 2; b++) {
      int stride = s > 0 && b == 0 ? 2 : 1;
      snprintf(name, sizeof name, "layer%d.%d.conv1", s + 1, b);
      int y = cv(g, name, x, planes, 3, stride, 1, ACT_RELU);
      snprintf(name, sizeof name, "layer%d.%d.conv2", s + 1, b);
      y = cv(g, name, y, planes, 3, 1, 1, ACT_NONE);
      int shortcut = x;
      if (stride != 1 || in != planes) {
        snprintf(name, sizeof name, "layer%d.%d.downsample.0", s + 1, b);
        shortcut = cv(g, name, x, planes, 1, stride, 1, ACT_NONE);
      }
      snprintf(name, sizeof name, "layer%d.%d.add", s + 1, b);
      x = add(g, name, y, shortcut, ACT_RELU);
      in = planes;
    }
  }
  head(g, x, "fc");
}

static void (*const builders[])(net_t*) = {lenet, alexnet, mobilenetv1, mobilenetv2, resnet18};

static bool selected(const char* name) {
  bool small = !strcmp(name, "lenet") || !strcmp(name, "alexnet");
  return in_list(opt_only, name) || in_list(opt_only, small ? "nets" : "mobile");
}

static const char* kind_name(const net_t* g, int i) {
  const node_t* d = &g->nodes[i];
  int c, h, w;
  input_of(g, i, &c, &h, &w);
  switch (d->kind) {
    case CONV:
      if (d->groups > 1 && d->groups == c && d->out == c) return "dwconv";
      if (d->k == 1 && d->groups == 1) return "pwconv";
      return "conv";
    case MAXPOOL: return "maxpool";
    case GAP: return "avgpool";
    case ADD: return "add";
    case FC: return "fc";
  }
  return "other";
}

static long long net_macs(const net_t* g) {
  long long m = 0;
  for (int i = 0; i < g->n; i++) m += g->nodes[i].macs;
  return m;
}

// ---------------------------------------------------------------- operators

// The int8 quantization of node i's output.
static void quant_of(const net_t* g, int i, int8_t* zp, float* scale) {
  if (i < 0) {
    *zp = IN_ZP, *scale = IN_SCALE;
    return;
  }
  switch (g->nodes[i].act) {
    case ACT_RELU6: *zp = -128, *scale = 6.0f / 255.0f; break;
    case ACT_RELU: *zp = -128, *scale = 0.05f; break;
    default: *zp = 0, *scale = 0.1f;
  }
}

static float act_max_f32(int act) { return act == ACT_RELU6 ? 6.0f : INFINITY; }
static float act_min_f32(int act) { return act == ACT_NONE ? -INFINITY : 0.0f; }

// create makes the operator of node i for int8 (q8) or float32.
static xnn_operator_t create(const net_t* g, int i, bool q8) {
  const node_t* d = &g->nodes[i];
  int c, h, w;
  input_of(g, i, &c, &h, &w);
  int8_t in_zp, out_zp;
  float in_scale, out_scale;
  quant_of(g, d->in0, &in_zp, &in_scale);
  quant_of(g, i, &out_zp, &out_scale);
  xnn_operator_t op = NULL;
  int in_features = c * h * w;
  switch (d->kind) {
    case CONV:
    case FC: {
      // A fully connected layer is a 1x1 convolution over one pixel of all
      // its input features.
      int k = d->kind == CONV ? d->k : 1, pad = d->kind == CONV ? d->pad : 0;
      int stride = d->kind == CONV ? d->stride : 1, groups = d->kind == CONV ? d->groups : 1;
      int cin = d->kind == CONV ? c : in_features;
      size_t gin = (size_t) cin / groups, gout = (size_t) d->out / groups;
      size_t nw = (size_t) d->out * k * k * gin;
      if (q8) {
        int8_t* wt = rand_i8(nw, -127);
        float* scales = kernel_scales(d->out);
        int32_t* bias = rand_bias(d->out);
        CHECK(xnn_create_convolution2d_nhwc_qc8(pad, pad, pad, pad, k, k, stride, stride, 1, 1, groups, gin, gout,
                                                cin, d->out, in_zp, in_scale, scales, wt, bias, out_zp, out_scale,
                                                -128, 127, 0, &op));
        free(wt), free(scales), free(bias);
      } else if (d->kind == FC) {
        float* wt = rand_f32(nw);
        float* bias = rand_f32(d->out);
        CHECK(xnn_create_fully_connected_nc_f32(cin, d->out, cin, d->out, wt, bias, act_min_f32(d->act),
                                                act_max_f32(d->act), 0, &op));
        free(wt), free(bias);
      } else {
        float* wt = rand_f32(nw);
        float* bias = rand_f32(d->out);
        CHECK(xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, k, k, stride, stride, 1, 1, groups, gin, gout,
                                                cin, d->out, wt, bias, act_min_f32(d->act), act_max_f32(d->act), 0,
                                                &op));
        free(wt), free(bias);
      }
      break;
    }
    case MAXPOOL:
      if (q8) {
        CHECK(xnn_create_max_pooling2d_nhwc_s8(d->pad, d->pad, d->pad, d->pad, d->k, d->k, d->stride, d->stride, 1,
                                               1, c, c, c, -128, 127, 0, &op));
      } else {
        CHECK(xnn_create_max_pooling2d_nhwc_f32(d->pad, d->pad, d->pad, d->pad, d->k, d->k, d->stride, d->stride, 1,
                                                1, c, c, c, -INFINITY, INFINITY, 0, &op));
      }
      break;
    case GAP:
      if (q8) {
        CHECK(xnn_create_global_average_pooling_nwc_qs8(c, c, c, in_zp, in_scale, out_zp, out_scale, -128, 127, 0,
                                                        &op));
      } else {
        CHECK(xnn_create_global_average_pooling_nwc_f32(c, c, c, -INFINITY, INFINITY, 0, &op));
      }
      break;
    case ADD: {
      int8_t zp1;
      float scale1;
      quant_of(g, d->in1, &zp1, &scale1);
      if (q8) {
        CHECK(xnn_create_add_nd_qs8(in_zp, in_scale, zp1, scale1, out_zp, out_scale, -128, 127, 0, &op));
      } else {
        CHECK(xnn_create_add_nd_f32(act_min_f32(d->act), act_max_f32(d->act), 0, &op));
      }
      break;
    }
  }
  return op;
}

// setup points node i's operator at its input and output for a batch.
static void setup(const net_t* g, int i, xnn_operator_t op, bool q8, size_t batch, const void* x, const void* x1,
                  void* y) {
  const node_t* d = &g->nodes[i];
  int c, h, w;
  input_of(g, i, &c, &h, &w);
  switch (d->kind) {
    case CONV:
      if (q8) CHECK(xnn_setup_convolution2d_nhwc_qc8(op, batch, h, w, x, y, pool));
      else CHECK(xnn_setup_convolution2d_nhwc_f32(op, batch, h, w, x, y, pool));
      break;
    case FC:
      if (q8) CHECK(xnn_setup_convolution2d_nhwc_qc8(op, batch, 1, 1, x, y, pool));
      else CHECK(xnn_setup_fully_connected_nc_f32(op, batch, x, y, pool));
      break;
    case MAXPOOL:
      if (q8) CHECK(xnn_setup_max_pooling2d_nhwc_s8(op, batch, h, w, x, y, pool));
      else CHECK(xnn_setup_max_pooling2d_nhwc_f32(op, batch, h, w, x, y, pool));
      break;
    case GAP:
      if (q8) CHECK(xnn_setup_global_average_pooling_nwc_qs8(op, batch, (size_t) h * w, x, y, pool));
      else CHECK(xnn_setup_global_average_pooling_nwc_f32(op, batch, (size_t) h * w, x, y, pool));
      break;
    case ADD: {
      size_t shape[4] = {batch, (size_t) h, (size_t) w, (size_t) c};
      if (q8) CHECK(xnn_setup_add_nd_qs8(op, 4, shape, 4, shape, x, x1, y, pool));
      else CHECK(xnn_setup_add_nd_f32(op, 4, shape, 4, shape, x, x1, y, pool));
      break;
    }
  }
}

// A network's operators, ready to run on one batch.
typedef struct {
  const net_t* g;
  int n;
  xnn_operator_t op[MAXNODES];
  void* input;
  void* bufs[MAXNODES];
  int nbufs;
} plan_t;

// plan creates and sets up the operators of nodes [first, last] of g for
// batch images, int8 (q8) or float32. Each output goes to a buffer of the
// largest activation's size that no later operator still needs to read.
static plan_t* plan(const net_t* g, int first, int last, bool q8, int batch) {
  plan_t* p = calloc(1, sizeof *p);
  p->g = g;
  size_t elem = q8 ? 1 : sizeof(float), biggest = (size_t) g->c * g->h * g->w;
  int lastuse[MAXNODES];
  for (int i = 0; i < g->n; i++) {
    size_t s = (size_t) g->nodes[i].c * g->nodes[i].h * g->nodes[i].w;
    if (s > biggest) biggest = s;
    lastuse[i] = i == g->n - 1 ? g->n : i;
  }
  for (int i = first; i <= last; i++) {
    if (g->nodes[i].in0 >= 0) lastuse[g->nodes[i].in0] = i;
    if (g->nodes[i].kind == ADD && g->nodes[i].in1 >= 0) lastuse[g->nodes[i].in1] = i;
  }
  size_t bytes = (size_t) batch * biggest * elem;
  p->input = q8 ? (void*) rand_i8(bytes, -128) : (void*) rand_f32(bytes / elem);
  void* where[MAXNODES] = {0};
  void* free_bufs[MAXNODES];
  int nfree = 0;
  for (int i = first; i <= last; i++) {
    const node_t* d = &g->nodes[i];
    void* y = nfree > 0 ? free_bufs[--nfree] : (p->bufs[p->nbufs++] = alloc(bytes));
    // A node run alone (first > its input) reads the input buffer.
    const void* x = d->in0 >= first ? where[d->in0] : p->input;
    const void* x1 = d->kind == ADD ? (d->in1 >= first ? where[d->in1] : p->input) : NULL;
    xnn_operator_t op = create(g, i, q8);
    setup(g, i, op, q8, (size_t) batch, x, x1, y);
    p->op[p->n++] = op;
    where[i] = y;
    for (int j = first; j < i; j++) {
      if (lastuse[j] <= i && where[j] != NULL) free_bufs[nfree++] = where[j], where[j] = NULL;
    }
  }
  return p;
}

static void run_plan(void* ctx) {
  plan_t* p = ctx;
  for (int i = 0; i < p->n; i++) {
    enum xnn_status st = xnn_run_operator(p->op[i], pool);
    if (st != xnn_status_success) die("xnn_run_operator", st);
  }
}

static void free_plan(plan_t* p) {
  for (int i = 0; i < p->n; i++) xnn_delete_operator(p->op[i]);
  for (int i = 0; i < p->nbufs; i++) free(p->bufs[i]);
  free(p->input);
  free(p);
}

// profile prints a LAYER line per operator of a whole-network plan at batch 1:
// the median time of each over about -budget seconds of runs.
static void profile(plan_t* p, const char* dtype, double one) {
  int iters = (int) (opt_budget / one);
  iters = iters < 5 ? 5 : iters > 200 ? 200 : iters;
  double* t = malloc(sizeof(double) * (size_t) iters * p->n);
  for (int r = 0; r < iters; r++) {
    for (int i = 0; i < p->n; i++) {
      double t0 = now();
      enum xnn_status st = xnn_run_operator(p->op[i], pool);
      if (st != xnn_status_success) die("xnn_run_operator", st);
      t[(size_t) i * iters + r] = now() - t0;
    }
  }
  for (int i = 0; i < p->n; i++) {
    const node_t* d = &p->g->nodes[i];
    printf("LAYER\txnnpack\t%s\t%s\t1\t%d\t%d\t%s\t%s\t%.9g\t%lld\n", dtype, p->g->name, opt_threads, i, d->name,
           kind_name(p->g, i), median(&t[(size_t) i * iters], iters), d->macs);
  }
  free(t);
}

// count runs a whole-network plan for the instruction counter: once to warm
// up, then opt_count times between the markers.
static void count(plan_t* p) {
  run_plan(p);
  for (int r = 0; r < opt_count; r++) {
    xc_begin();
    for (int i = 0; i < p->n; i++) {
      xc_layer();
      xnn_run_operator(p->op[i], pool);
    }
    xc_end();
  }
}

static int batches_of(const net_t* g, int* out) {
  if (!*opt_batches) {
    out[0] = g->batches[0], out[1] = g->batches[1];
    return 2;
  }
  int n = 0;
  for (const char* s = opt_batches; *s && n < 8; s++) {
    out[n++] = atoi(s);
    while (*s && *s != ',') s++;
    if (!*s) break;
  }
  return n;
}

static void bench_nets(void) {
  static net_t g;
  for (size_t b = 0; b < sizeof builders / sizeof builders[0]; b++) {
    builders[b](&g);
    if (!selected(g.name)) continue;
    for (int q = 1; q >= 0; q--) {
      const char* dtype = q ? "int8" : "f32";
      if (!in_list(opt_dtypes, dtype)) continue;
      int batches[8], nb = batches_of(&g, batches);
      for (int bi = 0; bi < nb; bi++) {
        int batch = batches[bi];
        plan_t* p = plan(&g, 0, g.n - 1, q, batch);
        if (opt_count > 0) {
          printf("case %s %s batch %d MACs %lld iters %d\n", g.name, dtype, batch, net_macs(&g) * batch, opt_count);
          for (int i = 0; i < g.n; i++)
            printf("layer %d %s MACs %lld\n", i, g.nodes[i].name, g.nodes[i].macs * batch);
          fflush(stdout);
          count(p);
        } else {
          timing t = measure(run_plan, p);
          result(dtype, g.name, batch, opt_threads, t, net_macs(&g) * batch);
          if (batch == 1) profile(p, dtype, t.wall);
        }
        free_plan(p);
      }
    }
  }
}

// bench_layers times every operator of LeNet-5 and the AlexNet alone, at
// batch 1 on one thread, as "lenet.conv1" ... "alexnet.fc3".
static void bench_layers(void) {
  static net_t g;
  pthreadpool_t saved = pool;
  pool = NULL;
  for (int b = 0; b < 2; b++) {
    builders[b](&g);
    for (int i = 0; i < g.n; i++) {
      char name[64];
      snprintf(name, sizeof name, "%s.%s", g.name, g.nodes[i].name);
      for (int q = 1; q >= 0; q--) {
        plan_t* p = plan(&g, i, i, q, 1);
        result(q ? "int8" : "f32", name, 1, 1, measure(run_plan, p), g.nodes[i].macs);
        free_plan(p);
      }
    }
  }
  pool = saved;
}

// ---------------------------------------------------------------- the GEMM

// time_op times one operator, set up, on one thread.
static void time_op(xnn_operator_t op, const char* dtype, const char* name, long long macs) {
  plan_t p = {.n = 1, .op = {op}};
  result(dtype, name, 1, 1, measure(run_plan, &p), macs);
  xnn_delete_operator(op);
}

static void bench_gemm(int n) {
  char name[32];
  snprintf(name, sizeof name, "gemm.%d", n);
  long long macs = (long long) n * n * n;
  size_t nn = (size_t) n * n;
  pthreadpool_t saved = pool;
  pool = NULL;

  // int8, per-channel weights: n pixels of n channels, a 1x1 qc8 convolution.
  static net_t g;
  start(&g, name, n, 1, n, 1, 1);
  conv(&g, "qc8", -1, n, 1, 1, 0, 1, ACT_NONE);
  plan_t* p = plan(&g, 0, 0, true, 1);
  result("int8", name, 1, 1, measure(run_plan, p), macs);
  free_plan(p);

  // int8, per-tensor weights: the qs8 fully connected operator; and float32.
  int8_t* a = rand_i8(nn, -128);
  int8_t* c = alloc(nn);
  int8_t* w = rand_i8(nn, -127);
  int32_t* bias = rand_bias(n);
  xnn_operator_t op = NULL;
  CHECK(xnn_create_fully_connected_nc_qs8(n, n, n, n, IN_ZP, IN_SCALE, 0.005f, w, bias, 0, 0.5f, -128, 127, 0, &op));
  CHECK(xnn_setup_fully_connected_nc_qs8(op, n, a, c, pool));
  time_op(op, "int8-qs8", name, macs);
  free(a), free(c), free(w), free(bias);

  float* fa = rand_f32(nn);
  float* fw = rand_f32(nn);
  float* fb = rand_f32(n);
  float* fc = alloc(nn * sizeof(float));
  CHECK(xnn_create_fully_connected_nc_f32(n, n, n, n, fw, fb, -INFINITY, INFINITY, 0, &op));
  CHECK(xnn_setup_fully_connected_nc_f32(op, n, fa, fc, pool));
  time_op(op, "f32", name, macs);
  free(fa), free(fw), free(fb), free(fc);
  pool = saved;
}

// ---------------------------------------------------------------- main

static void usage(void) {
  fprintf(stderr,
          "usage: xnnbench [-threads N] [-budget SECONDS] [-min N] [-max N] [-only GROUPS] [-dtypes int8,f32]\n"
          "                [-batches B,...] [-count N] [-isa auto|avx2 (x86-64)] [-uarch CORE (arm64)]\n");
  exit(2);
}

// hide_avx512 makes XNNPACK, which reads cpuinfo's flags once in
// xnn_initialize, take its AVX2 kernels.
static void hide_avx512(void) {
#if defined(__x86_64__)
  cpuinfo_isa.avx512f = cpuinfo_isa.avx512cd = cpuinfo_isa.avx512dq = cpuinfo_isa.avx512bw = false;
  cpuinfo_isa.avx512vl = cpuinfo_isa.avx512vnni = cpuinfo_isa.avx512ifma = cpuinfo_isa.avx512vbmi = false;
  cpuinfo_isa.avx512vbmi2 = cpuinfo_isa.avx512bitalg = cpuinfo_isa.avx512vpopcntdq = false;
  cpuinfo_isa.avx512bf16 = cpuinfo_isa.avx512pf = cpuinfo_isa.avx512er = false;
  cpuinfo_isa.avx512vp2intersect = cpuinfo_isa.avx512_4vnniw = cpuinfo_isa.avx512_4fmaps = false;
#else
  fprintf(stderr, "xnnbench: -isa avx2 is for x86-64\n");
  exit(2);
#endif
}

// set_uarch tells XNNPACK which core it runs on: it picks micro-kernels
// tuned per core (e.g. Cortex-A72 or A76) from cpuinfo's tables, which
// qemu-user leaves at "unknown".
static void set_uarch(const char* name) {
#if defined(__aarch64__)
  static const struct {
    const char* name;
    enum cpuinfo_uarch uarch;
  } cores[] = {{"cortex-a53", cpuinfo_uarch_cortex_a53}, {"cortex-a55", cpuinfo_uarch_cortex_a55},
               {"cortex-a72", cpuinfo_uarch_cortex_a72}, {"cortex-a76", cpuinfo_uarch_cortex_a76},
               {"neoverse-n1", cpuinfo_uarch_neoverse_n1}};
  for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++) {
    if (strcmp(name, cores[i].name) != 0) continue;
    for (uint32_t c = 0; c < cpuinfo_get_cores_count(); c++)
      ((struct cpuinfo_core*) cpuinfo_get_core(c))->uarch = cores[i].uarch;
    for (uint32_t u = 0; u < cpuinfo_get_uarchs_count(); u++)
      ((struct cpuinfo_uarch_info*) cpuinfo_get_uarch(u))->uarch = cores[i].uarch;
    return;
  }
  fprintf(stderr, "xnnbench: -uarch %s: unknown core\n", name);
#else
  fprintf(stderr, "xnnbench: -uarch is for arm64\n");
#endif
  exit(2);
}

static int print_object(struct dl_phdr_info* info, size_t size, void* data) {
  printf("object %s base 0x%lx\n", info->dlpi_name[0] ? info->dlpi_name : "(main)", (unsigned long) info->dlpi_addr);
  return 0;
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
    else if (strcmp(a, "-uarch") == 0) opt_uarch = v;
    else if (strcmp(a, "-only") == 0) opt_only = v;
    else if (strcmp(a, "-dtypes") == 0) opt_dtypes = v;
    else if (strcmp(a, "-batches") == 0) opt_batches = v;
    else if (strcmp(a, "-count") == 0) opt_count = atoi(v);
    else usage();
  }
  if (opt_threads < 1 || opt_count < 0) usage();

  if (!cpuinfo_initialize()) {
    fprintf(stderr, "xnnbench: cpuinfo_initialize failed\n");
    return 1;
  }
  if (strcmp(opt_isa, "avx2") == 0) hide_avx512();
  else if (strcmp(opt_isa, "auto") != 0) usage();
  if (*opt_uarch) set_uarch(opt_uarch);
  CHECK(xnn_initialize(NULL));
  if (opt_threads > 1) pool = pthreadpool_create((size_t) opt_threads);

#if defined(__x86_64__)
  printf("# xnnpack isa %s (cpuinfo: avx2 %d fma3 %d avx512f %d avx512bw %d avx512vnni %d), threads %d\n", opt_isa,
         cpuinfo_has_x86_avx2(), cpuinfo_has_x86_fma3(), cpuinfo_has_x86_avx512f(), cpuinfo_has_x86_avx512bw(),
         cpuinfo_has_x86_avx512vnni(), opt_threads);
  const char* path = strcmp(opt_isa, "avx2") == 0 ? "avx2" : (cpuinfo_has_x86_avx512bw() ? "avx512" : "avx2");
#else
  printf("# xnnpack (cpuinfo: core 0 uarch 0x%08x, neon %d, dot product %d), threads %d\n",
         (unsigned) cpuinfo_get_core(0)->uarch, cpuinfo_has_arm_neon(), cpuinfo_has_arm_neon_dot(), opt_threads);
  const char* path = cpuinfo_has_arm_neon_dot() ? "neondot" : "neon";
#endif
  printf("PATH\txnnpack\t%s\n", path);
  if (opt_count > 0) dl_iterate_phdr(print_object, NULL);

  if (opt_count == 0 && in_list(opt_only, "gemm")) bench_gemm(512);
  if (opt_count == 0 && in_list(opt_only, "layers")) bench_layers();
  bench_nets();

  if (pool != NULL) pthreadpool_destroy(pool);
  xnn_deinitialize();
  return 0;
}
