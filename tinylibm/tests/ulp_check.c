/* ulp_check: compare tinylibm with glibc's libm. Host only (it links libm).
 *
 *   ulp_check sampled N SEED        per function: N/2 random bit patterns over all of float32,
 *                                   N/2 uniform values in the function's busy range, and the
 *                                   special values with their neighbours
 *   ulp_check exhaustive [FIRST LAST [NAME...]]  every bit pattern in [FIRST, LAST] (default: all
 *                                   2^32), for the functions named (default: all)
 *
 * Per function it prints one line of key=value pairs (scripts/tinylibm-sweep merges them):
 *   max_ulp_vs_glibc  largest distance, in float steps, between ours and glibc's float function
 *   max_err_ours / max_err_glibc  largest error, in ULPs, against the exact value, taken from
 *                     glibc's double function (accurate to ~2^-52, i.e. ~2^-29 float ULP)
 *   special_mismatches  NaN-ness, infinity or sign-of-zero differing from glibc, or a NaN input
 *                     not returned as the same NaN, quieted
 *   glibc_less_accurate  inputs more than 1 step from glibc where ours is the closer one to the
 *                     exact value (glibc 2.36's tanhf is up to 2.19 ULP off)
 *   violations        inputs that are more than 1 step from glibc and not closer to the exact
 *                     value than glibc, or more than 1 ULP from the exact value
 * It exits 1 if any function has a violation or a special mismatch, 2 on bad usage. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinylibm.h"
#include "ulp_harness.h"

struct func {
	const char *name;
	float (*ours)(float);
	float (*glibc)(float);
	double (*exact)(double);
	float busy_lo, busy_hi; /* where the result is neither constant nor trivially special */
};

static const struct func funcs[] = {
	{"expf", tlm_expf, expf, exp, -104.0f, 89.0f},
	{"logf", tlm_logf, logf, log, 0.0f, 2.0f},
	{"tanhf", tlm_tanhf, tanhf, tanh, -10.0f, 10.0f},
	{"erff", tlm_erff, erff, erf, -4.5f, 4.5f},
	{"log1pf", tlm_log1pf, log1pf, log1p, -1.0f, 4.0f},
	{"sqrtf", tlm_sqrtf, sqrtf, sqrt, 0.0f, 4.0f},
};
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))

struct stats {
	uint64_t points, special_mismatches, glibc_less_accurate, violations;
	int64_t max_ulp_vs_glibc;
	uint32_t worst_vs_glibc, worst_ours;
	double max_err_ours, max_err_glibc;
};

/* Bit patterns mapped to integers that are ordered like the floats, so that the difference of
 * two is the number of float steps between them (+0 and -0 both map to 0). */
static int64_t ordinal(float f)
{
	uint32_t u = ulp_bits_of(f);
	return (u & 0x80000000u) ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
}

static int special_mismatch(float x, float ours, float ref)
{
	if (isnan(x)) /* the input NaN itself, quieted: payload and sign kept */
		return ulp_bits_of(ours) != (ulp_bits_of(x) | 0x00400000u);
	return ulp_special_mismatch(ours, ref);
}

struct check {
	const struct func *f;
	struct stats *st;
};

static void check_one(void *ctx, uint32_t xbits)
{
	const struct func *f = ((struct check *)ctx)->f;
	struct stats *st = ((struct check *)ctx)->st;
	float x = ulp_float_of(xbits), ours = f->ours(x), ref = f->glibc(x);
	double exact = f->exact((double)x);

	st->points++;
	if (special_mismatch(x, ours, ref)) {
		st->special_mismatches++;
		return;
	}
	/* Only finite results carry an ULP error; infinities and NaN were judged above. */
	if (!isfinite(ours) || !isfinite(ref) || !(fabs(exact) <= 0x1.fffffep127))
		return;
	int64_t dist = llabs(ordinal(ours) - ordinal(ref));
	double err_ours = ulp_err(ours, exact), err_glibc = ulp_err(ref, exact);
	if (dist > st->max_ulp_vs_glibc) {
		st->max_ulp_vs_glibc = dist;
		st->worst_vs_glibc = xbits;
	}
	if (err_ours > st->max_err_ours) {
		st->max_err_ours = err_ours;
		st->worst_ours = xbits;
	}
	if (err_glibc > st->max_err_glibc)
		st->max_err_glibc = err_glibc;
	if (dist > 1 && err_ours < err_glibc)
		st->glibc_less_accurate++;
	if ((dist > 1 && err_ours >= err_glibc) || err_ours > 1.0)
		st->violations++;
}

/* Special values and the thresholds of each function; sampled mode also takes their
 * neighbours, so these need not be the exact threshold floats. */
static const float specials[] = {
	0.0f, 1.0f, 0x1p-149f, 0x1.fffffcp-127f, 0x1p-126f, 0x1.fffffep127f, 2.0f, 0.5f,
	88.72283935546875f, 89.0f, 103.97208f, 87.33654f, 104.0f, /* expf overflow/underflow */
	0.69314718f, 2.7182817f,                                  /* logf: ln2, e */
	0x1p-5f, 9.0109f, 9.1f, 0x1p-12f,                          /* tanhf branch points */
	3.0f, 4.0f, 3.9192f,                                       /* erff branch points */
	0x1p-6f, -1.0f, -0.99999994f,                               /* log1pf */
};

static const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fa00000u, 0x7fc12345u, 0xff812345u};
static const struct ulp_inputs inputs = {specials, sizeof(specials) / sizeof(specials[0]),
					 nans, sizeof(nans) / sizeof(nans[0])};

static void report(const struct func *f, const struct stats *st)
{
	printf("%s points=%" PRIu64 " max_ulp_vs_glibc=%" PRId64 " worst_vs_glibc=0x%08" PRIx32
	       " max_err_ours=%.6f worst_ours=0x%08" PRIx32 " max_err_glibc=%.6f special_mismatches=%" PRIu64
	       " glibc_less_accurate=%" PRIu64 " violations=%" PRIu64 "\n",
	       f->name, st->points, st->max_ulp_vs_glibc, st->worst_vs_glibc, st->max_err_ours, st->worst_ours,
	       st->max_err_glibc, st->special_mismatches, st->glibc_less_accurate, st->violations);
}

/* Whether function f is among names[0..n) (all functions when n is 0). */
static int selected(const struct func *f, char **names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], f->name) == 0)
			return 1;
	return n == 0;
}

int main(int argc, char **argv)
{
	struct ulp_args args;
	int failed = 0;

	if (ulp_parse_args(argc, argv, argc, "usage: ulp_check sampled N SEED | ulp_check exhaustive "
			   "[FIRST LAST [NAME...]] (bit patterns, e.g. 0x0 0x7fffffff; names as printed, "
			   "e.g. erff)", &args))
		return 2;
	for (int i = 0; i < args.n_names; i++) {
		size_t k = 0;
		while (k < NFUNCS && strcmp(funcs[k].name, args.names[i]) != 0)
			k++;
		if (k == NFUNCS) {
			fprintf(stderr, "ulp_check: no function %s (names as printed, e.g. erff)\n", args.names[i]);
			return 2;
		}
	}
	for (size_t i = 0; i < NFUNCS; i++) {
		struct stats st = {0};
		struct check c = {&funcs[i], &st};
		if (!selected(&funcs[i], args.names, args.n_names))
			continue;
		ulp_feed(&args, &inputs, funcs[i].busy_lo, funcs[i].busy_hi, check_one, &c);
		report(&funcs[i], &st);
		failed |= st.violations != 0 || st.special_mismatches != 0;
	}
	printf("result=%s\n", failed ? "FAIL" : "PASS");
	return failed;
}
