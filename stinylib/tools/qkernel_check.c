/* The vector int8 kernels against the plain-C reference, byte for byte, on random operands over
 * the shapes that reach every path: U8 and I8 activations and outputs, depths with a tail of
 * 1..7 channels, pixel counts below, at and past a block with a tail, output channels past a
 * whole tile. Built for the host (-march=native, and AVX2 only) and for aarch64 (run under
 * qemu-aarch64); tests/engine/test_qkernels.py runs each. Prints one line per failure; exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tzm_format.h"
#include "qgemm.h"

static uint32_t rng = 12345u;
static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Weights: any int8 (a −128 among them sends aarch64 to its 16-bit path), symmetric [−127, 127] as
 * ORT quantises them (its 8-bit path), extremes (±127 against activations 0, 127, 128 and 255: the
 * 8-bit path's int16 pair sums at their bounds), or −128 and 127 against those (a pair of −128 ×
 * −128 would overflow the 8-bit path's int16). */
enum wmode { W_ANY, W_SYMMETRIC, W_EXTREME, W_MIN };

static int check(uint32_t m_n, uint32_t k_n, uint32_t p_n, int x_signed, int y_signed, enum wmode wm)
{
	uint8_t *x = malloc((size_t)k_n * p_n), *y = malloc((size_t)m_n * p_n), *ref = malloc((size_t)m_n * p_n);
	int8_t *w = malloc((size_t)m_n * k_n);
	float *mult = malloc(m_n * sizeof *mult);
	int32_t *bias = malloc(m_n * sizeof *bias);
	for (size_t i = 0; i < (size_t)k_n * p_n; i++)
		x[i] = wm >= W_EXTREME ? (uint8_t[]){0, 0x7f, 0x80, 0xff}[next() & 3] : (uint8_t)next();
	for (size_t i = 0; i < (size_t)m_n * k_n; i++)
		w[i] = wm == W_ANY ? (int8_t)next()
		       : wm == W_SYMMETRIC ? (int8_t)(next() % 255 - 127)
		       : next() & 1 ? 127 : wm == W_MIN ? -128 : -127;
	for (uint32_t m = 0; m < m_n; m++) {
		/* about 1/(k·128·64): outputs spread over the type and past both ends (saturation) */
		mult[m] = (float)(next() % 1000 + 1) / (1000.0f * 64.0f * (float)k_n);
		bias[m] = (int32_t)(next() % 200001) - 100000;
	}
	const int32_t zp = x_signed ? (int32_t)(next() % 256) - 128 : (int32_t)(next() % 256);
	struct stl_qparams yq = {y_signed ? (int32_t)(next() % 64) - 32 : (int32_t)(next() % 64) + 96,
				 y_signed ? -128 : 0, y_signed ? 127 : 255, 0.1f};
	const int with_bias = next() % 4 != 0;
	memset(y, 0xa5, (size_t)m_n * p_n);
	int failed = 0;
	if (stl_qgemm_planes(x, p_n, x_signed, zp, w, m_n, k_n, p_n, mult, with_bias ? bias : NULL, y, p_n, &yq)) {
		stl_qgemm_planes_ref(x, x_signed, zp, w, m_n, k_n, p_n, mult, with_bias ? bias : NULL, ref, &yq);
		for (size_t i = 0; i < (size_t)m_n * p_n; i++)
			if (y[i] != ref[i]) {
				printf("qgemm m=%u k=%u p=%u x%s y%s bias=%d weights %d: byte %zu is %d, reference %d\n", m_n,
				       k_n, p_n, x_signed ? "i8" : "u8", y_signed ? "i8" : "u8", with_bias, wm, i, y[i], ref[i]);
				failed = 1;
				break;
			}
	} else if (p_n >= 64 && k_n <= 4096) {
		printf("qgemm m=%u k=%u p=%u: no vector path took it\n", m_n, k_n, p_n);
		failed = !getenv("QKERNEL_NO_SIMD");
	}
	free(x), free(y), free(ref), free(w), free(mult), free(bias);
	return failed;
}

/* A depthwise convolution (c channels, multiplier mult_c) of an h×w plane: stl_qdepthwise against
 * stl_qconv_ref. */
static int check_depthwise(uint32_t c, uint32_t mult_c, uint32_t h, uint32_t w_, uint32_t k, uint32_t s,
			   uint32_t pad, uint32_t dil, int x_signed, int y_signed)
{
	const uint32_t xd[4] = {1, c, h, w_}, wd[4] = {c * mult_c, 1, k, k};
	int32_t a[STL_N_IATTR] = {0};
	a[STL_A_KH] = a[STL_A_KW] = (int32_t)k;
	a[STL_A_SH] = a[STL_A_SW] = (int32_t)s;
	a[STL_A_PT] = a[STL_A_PL] = a[STL_A_PB] = a[STL_A_PR] = (int32_t)pad;
	a[STL_A_GROUP] = (int32_t)c;
	a[STL_A_DH] = a[STL_A_DW] = (int32_t)dil;
	struct stl_conv_geometry g;
	if (stl_conv_geometry(&g, xd, wd, a) != STL_GEOM_OK)
		return 0;
	const size_t nx = (size_t)c * h * w_, ny = (size_t)g.m * g.p, nw = (size_t)g.m * k * k;
	uint8_t *x = malloc(nx), *y = malloc(ny), *ref = malloc(ny);
	int8_t *w = malloc(nw);
	float *mult = malloc(g.m * sizeof *mult);
	int32_t *bias = malloc(g.m * sizeof *bias), *acc = malloc(g.p * sizeof *acc);
	for (size_t i = 0; i < nx; i++)
		x[i] = (uint8_t)next();
	for (size_t i = 0; i < nw; i++)
		w[i] = (int8_t)next();
	for (uint32_t m = 0; m < g.m; m++) {
		mult[m] = (float)(next() % 1000 + 1) / (1000.0f * 64.0f * (float)(k * k));
		bias[m] = (int32_t)(next() % 20001) - 10000;
	}
	const int32_t zp = x_signed ? (int32_t)(next() % 256) - 128 : (int32_t)(next() % 256);
	struct stl_qparams yq = {y_signed ? (int32_t)(next() % 64) - 32 : (int32_t)(next() % 64) + 96,
				 y_signed ? -128 : 0, y_signed ? 127 : 255, 0.1f};
	int failed = 0;
	if (stl_qdepthwise(&g, x, x_signed, zp, w, mult, bias, y, &yq)) {
		stl_qconv_ref(&g, x, x_signed, zp, w, mult, bias, ref, &yq, acc);
		for (size_t i = 0; i < ny; i++)
			if (y[i] != ref[i]) {
				printf("depthwise c=%u×%u %ux%u k=%u s=%u pad=%u dil=%u: byte %zu is %d, reference %d\n", c,
				       mult_c, h, w_, k, s, pad, dil, i, y[i], ref[i]);
				failed = 1;
				break;
			}
	} else if (w_ <= 256) {
		printf("depthwise c=%u %ux%u k=%u s=%u: not taken\n", c, h, w_, k, s);
		failed = 1;
	}
	free(x), free(y), free(ref), free(w), free(mult), free(bias), free(acc);
	return failed;
}

int main(void)
{
	static const uint32_t ks[] = {1, 3, 4, 5, 8, 9, 15, 16, 17, 24, 31, 96, 320, 1024, 1032};
	static const uint32_t ps[] = {1, 7, 15, 16, 17, 31, 32, 33, 49, 63, 64, 65, 100, 196};
	static const uint32_t ms[] = {1, 3, 4, 5, 6, 7, 13, 24};
	int failed = 0, cases = 0;
	for (unsigned a = 0; a < sizeof ks / sizeof *ks; a++)
		for (unsigned b = 0; b < sizeof ps / sizeof *ps; b++)
			for (unsigned s = 0; s < 16; s++, cases++)
				failed |= check(ms[(a + b + s) % (sizeof ms / sizeof *ms)], ks[a], ps[b], s & 1, s >> 1 & 1,
						(enum wmode)(s / 4));
	/* past the 8-bit path's group of output channels (its zero-point fixes) */
	failed |= check(300, 16, 20, 0, 0, W_SYMMETRIC) | check(300, 24, 20, 1, 1, W_SYMMETRIC);
	cases += 2;
	static const uint32_t sizes[][2] = {{1, 1}, {3, 5}, {7, 7}, {14, 14}, {17, 33}, {56, 56}, {9, 112}};
	for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++)
		for (uint32_t k = 1; k <= 5; k += 2)
			for (uint32_t s = 1; s <= 2; s++)
				for (unsigned v = 0; v < 4; v++, cases++)
					failed |= check_depthwise(3 + v, 1 + (v == 3), sizes[i][0], sizes[i][1], k, s,
								  v == 2 ? 0 : k / 2 + (v == 1), 1 + (v == 2 && k == 3),
								  v & 1, (v + i) & 1);
	printf("qkernel_check: %d cases, %s\n", cases, failed ? "FAILED" : "all equal to the reference");
	return failed;
}
