/* act_ulp: the accuracy of the engine's vectorised activations (act.c over vmath.h) against the
 * exact values, taken from the C library's double functions (accurate to ~2^-52, i.e. ~2^-29 of a
 * float ULP). Built for the host and for aarch64 (make -C stinylib act-ulp / aarch64); it links
 * the libm the engine itself never uses.
 *
 *   act_ulp sampled N SEED           per function: N/2 random bit patterns over all of float32,
 *                                    N/2 uniform values in the function's busy range, and the
 *                                    special values with their neighbours
 *   act_ulp exhaustive [FIRST LAST]  every bit pattern in [FIRST, LAST] (default: all 2^32)
 *
 * The inputs go through stl_act_apply() in runs of RUN floats, the way the kernels call it (a
 * run's last part through its partial-vector path). Per function one line of key=value pairs,
 * which scripts/tinylibm-sweep --activations merges:
 *   max_err_ours        largest error, in ULPs of the exact value (subnormal spacing below FLT_MIN)
 *   worst_ours          an input where it is reached
 *   special_mismatches  NaN-ness, infinity or sign of zero differing from the exact value
 *   violations          inputs more than the function's bound (`bound`) from the exact value
 * It exits 1 if any function has a violation or a special mismatch, 2 on bad usage. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "tzm_format.h"
#include "simd.h"
#include "ulp_harness.h"
#include "vmath.h"

/* The exact values; x·f(x) at −inf is the limit −0, not −inf·0. */
static double sigmoid_exact(double x)
{
	return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

static double silu_exact(double x)
{
	return isinf(x) && x < 0 ? -0.0 : x * sigmoid_exact(x);
}

static double gelu_exact(double x)
{
	return isinf(x) && x < 0 ? -0.0 : 0.5 * x * erfc(-x / sqrt(2.0));
}

/* e^x is no activation: it is checked through the same loop on stl_vexp. */
static void exp_run(float *y, size_t n)
{
	for (size_t i = 0; i < n; i += STL_VL)
		stl_vst(y + i, stl_vexp(stl_vld(y + i)));
}

struct func {
	const char *name;
	int act;                      /* STL_ACT_*, or -1: run `run` instead */
	void (*run)(float *y, size_t n);
	double (*exact)(double);
	double bound;                 /* max error in ULPs; measured over all inputs, with margin */
	float busy_lo, busy_hi;       /* where the result is neither constant nor trivially special */
};

static const struct func funcs[] = {
	/* maxima over all 2^32 inputs (AVX-512 and NEON compute the same): 0.950, 2.402, 1.505, 3.344,
	 * 6.289 ULP */
	{"exp", -1, exp_run, exp, 1.5, -104.0f, 89.0f},
	{"sigmoid", STL_ACT_SIGMOID, NULL, sigmoid_exact, 3.0, -104.0f, 20.0f},
	{"tanh", STL_ACT_TANH, NULL, tanh, 3.0, -10.0f, 10.0f},
	{"silu", STL_ACT_SILU, NULL, silu_exact, 4.0, -110.0f, 20.0f},
	{"gelu", STL_ACT_GELU, NULL, gelu_exact, 7.0, -15.0f, 6.0f},
};
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))
/* Inputs per stl_act_apply call: not a whole number of vectors, so every call has a partial one. */
#define RUN 4093u

struct stats {
	uint64_t points, special_mismatches, violations;
	uint32_t worst_ours;
	double max_err_ours;
};

static void judge(const struct func *f, struct stats *st, uint32_t xbits, float ours)
{
	const double exact = f->exact((double)ulp_float_of(xbits));
	st->points++;
	/* Against the float the exact value rounds to, for NaN, infinities and the sign of zero. */
	if (ulp_special_mismatch(ours, (float)exact)) {
		st->special_mismatches++;
		return;
	}
	if (!isfinite(ours) || !(fabs(exact) <= 0x1.fffffep127))
		return;
	const double err = ulp_err(ours, exact);
	if (err > st->max_err_ours) {
		st->max_err_ours = err;
		st->worst_ours = xbits;
	}
	if (err > f->bound)
		st->violations++;
}

/* Judge the inputs xbits[0..n), n <= RUN, in one call of the function. */
static void check_run(const struct func *f, struct stats *st, const uint32_t *xbits, size_t n)
{
	static float y[RUN + STL_VL]; /* room for exp_run's whole last vector */
	for (size_t i = 0; i < n; i++)
		y[i] = ulp_float_of(xbits[i]);
	if (f->act < 0) {
		f->run(y, n);
	} else {
		struct stl_op op;
		memset(&op, 0, sizeof op);
		op.act = (uint8_t)f->act;
		stl_act_apply(&op, y, n);
	}
	for (size_t i = 0; i < n; i++)
		judge(f, st, xbits[i], y[i]);
}

/* Collects a function's inputs and checks them a run at a time. */
struct batch {
	const struct func *f;
	struct stats *st;
	uint32_t x[RUN];
	size_t n;
};

static void flush(struct batch *b)
{
	if (b->n)
		check_run(b->f, b->st, b->x, b->n);
	b->n = 0;
}

static void add(void *ctx, uint32_t xbits)
{
	struct batch *b = ctx;
	b->x[b->n++] = xbits;
	if (b->n == RUN)
		flush(b);
}

/* Special values and branch points of the functions; sampled mode also takes their neighbours. */
static const float specials[] = {
	0.0f, 1.0f, 0x1p-149f, 0x1.fffffcp-127f, 0x1p-126f, 0x1.fffffep127f, 2.0f, 0.5f, 3.0f, 6.0f,
	88.72283935546875f, 89.0f, 90.0f, 103.97208f, 87.33654f, 104.0f, 160.0f, /* exp's ends, clamp */
	0.55f, 9.01f,                                                           /* tanh */
	20.0f, 14.5f, 0x1p-12f,                                                 /* gelu */
};
static const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fc12345u, 0xff812345u};
static const struct ulp_inputs inputs = {specials, sizeof(specials) / sizeof(specials[0]),
					 nans, sizeof(nans) / sizeof(nans[0])};

int main(int argc, char **argv)
{
	static struct batch b;
	struct ulp_args args;
	int failed = 0;

	if (ulp_parse_args(argc, argv, 0, "usage: act_ulp sampled N SEED | act_ulp exhaustive [FIRST LAST] "
			   "(bit patterns, e.g. 0x0 0x7fffffff)", &args))
		return 2;
	for (size_t i = 0; i < NFUNCS; i++) {
		struct stats st = {0};
		b.f = &funcs[i];
		b.st = &st;
		b.n = 0;
		ulp_feed(&args, &inputs, funcs[i].busy_lo, funcs[i].busy_hi, add, &b);
		flush(&b);
		printf("%s points=%" PRIu64 " max_err_ours=%.6f worst_ours=0x%08" PRIx32 " bound=%.1f"
		       " special_mismatches=%" PRIu64 " violations=%" PRIu64 "\n",
		       funcs[i].name, st.points, st.max_err_ours, st.worst_ours, funcs[i].bound, st.special_mismatches,
		       st.violations);
		failed |= st.violations != 0 || st.special_mismatches != 0;
	}
	printf("result=%s\n", failed ? "FAIL" : "PASS");
	return failed;
}
