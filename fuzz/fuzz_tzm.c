/*
 * libFuzzer target for S-Tinylib's untrusted-input surface: stl_load over one .tzm file, then,
 * when the loader accepts it, stl_run's argument checks and a real run of every op.
 *
 * One fuzz input is one whole .tzm file. The model input tensor is filled by cycling over the
 * file's body bytes, so every float pattern a mutation creates (NaN, inf, denormals) reaches the
 * kernels as activations as well as weights.
 *
 * Built twice from this file (fuzz/Makefile):
 *   fuzz-tzm          plain: mutants are what libFuzzer makes of the bytes. Almost every mutant
 *                     of the body fails the SHA-256 check, so this mode explores the header,
 *                     the section checks and the hash check.
 *   fuzz-tzm-fixhash  FUZZ_FIX_HASH: a custom mutator re-hashes the body after every mutation
 *                     (with the engine's own sha256.c), so mutants reach the record checks, the
 *                     op/shape checks, the plan check and the kernels. Its corpus and crash files
 *                     are valid-hash files, so either binary reproduces them.
 *
 * Besides the sanitizers, the target aborts when the engine breaks its contract:
 *   - a refusal without a status/reason, or stl_run accepting a model whose load failed;
 *   - stl_load accepting a misaligned buffer; stl_run accepting a wrong-length input or output,
 *     a short or misaligned arena, or an input inside the arena (the input path's checks);
 *   - a run that fails with valid arguments, or writes into the model buffer;
 *   - a run whose output depends on the arena's previous contents (two runs, arena pre-filled
 *     with 0x00 and with 0xff, must give the same bytes): the engine must never read arena
 *     bytes the plan did not write first, or stale secrets would flow into the output.
 * And during a run each op can address only its own operands: before every op the engine's op
 * hook (stl_set_op_hook) has ASan poison the whole arena and the whole weights section, then
 * unpoison the op's inputs, output and scratch; after the last op only the model output stays
 * addressable for the copy out. A kernel that strays into another live tensor, a gap or the
 * alignment padding is reported even though the access stays inside one allocation.
 * FUZZ_POISON_SELFTEST builds a main() instead of the fuzz target that checks exactly that on
 * the files it is given (tests/fuzz/test_fuzz_inputs.py).
 */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "format.h"
#include "sha256.h"
#include "stinylib.h"

/*
 * Largest arena a run may request. A model may declare up to 4 GiB; the TA can never hold more
 * than its heap, which comes out of a TA RAM pool of at most ~62 MiB on the layouts we ship
 * (board/<board>/memory.yaml), so runs beyond 64 MiB test nothing the product can reach. They
 * would only push libFuzzer against its 2 GiB RSS limit (arena, ASan shadow and quarantine)
 * and slow every exec. Such models are still loaded and validated in full; only the run is
 * skipped.
 */
#define FUZZ_ARENA_CAP (64u << 20)

/* Header field offsets (docs/model-format.md). */
#define WEIGHTS_SIZE_AT 48u
#define BODY_SIZE_AT 52u
#define SHA256_AT 56u

static void require(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-tzm: engine contract broken: %s\n", what);
		abort();
	}
}

static void *xalloc(size_t align, size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, align, n ? n : 1) != 0) {
		fprintf(stderr, "fuzz-tzm: out of memory allocating %zu bytes\n", n);
		abort();
	}
	return p;
}

/* The model input: the file's body bytes, repeated. */
static void fill_input(uint8_t *in, size_t n, const uint8_t *file, size_t size)
{
	const uint8_t *body = file + STL_HEADER_SIZE;
	size_t body_len = size - STL_HEADER_SIZE; /* > 0: a loaded model has tables */
	for (size_t i = 0; i < n; i++)
		in[i] = body[i % body_len];
}

/* What the op hook needs to re-poison the arena and the weights before each op. */
struct guard {
	uint8_t *arena;
	size_t arena_len;
	const uint8_t *weights;
	size_t weights_len;
};

static const uint8_t *tensor_bytes(const struct stl_model *m, const struct guard *g, uint32_t t)
{
	const struct stl_tensor *x = &m->tensors[t];
	return (x->kind == STL_KIND_CONST ? g->weights : g->arena) + x->offset;
}

static void poison_all(const struct guard *g)
{
	ASAN_POISON_MEMORY_REGION(g->arena, g->arena_len);
	ASAN_POISON_MEMORY_REGION(g->weights, g->weights_len);
}

/* Operand i of op o (inputs, output, scratch), as a tensor index. */
static uint32_t operand(const struct stl_model *m, const struct stl_op *o, uint32_t i)
{
	return m->io[o->io_first + i];
}

static uint32_t operand_count(const struct stl_op *o)
{
	return (uint32_t)o->n_in + o->n_out + o->n_scratch;
}

/* The op hook: before op next_op only its operands are addressable; after the last op only the
 * model output, which stl_run then copies out. ASan never shrinks an unpoisoned range, so
 * operands that share bytes in the plan (in-place ops) stay whole. */
static int expose_operands(void *ctx, const struct stl_model *m, uint32_t next_op)
{
	const struct guard *g = ctx;
	poison_all(g);
	if (next_op == m->n_ops) {
		ASAN_UNPOISON_MEMORY_REGION(tensor_bytes(m, g, m->output), m->tensors[m->output].size);
		return 0;
	}
	const struct stl_op *o = &m->ops[next_op];
	for (uint32_t i = 0; i < operand_count(o); i++) {
		uint32_t t = operand(m, o, i);
		ASAN_UNPOISON_MEMORY_REGION(tensor_bytes(m, g, t), m->tensors[t].size);
	}
	return 0;
}

static struct guard guard_for(struct stl_model *m, uint8_t *arena, size_t arena_len, const uint8_t *file,
			      size_t size)
{
	struct guard g = { arena, arena_len, m->weights, size - (size_t)(m->weights - file) };
	return g;
}

static enum stl_status guarded_run(struct stl_model *m, uint8_t *arena, size_t arena_len, const float *input,
				   size_t in_len, float *out, size_t out_len, const uint8_t *file, size_t size)
{
	struct guard g = guard_for(m, arena, arena_len, file, size);
	/* stl_run copies the input in before the first op: only its tensor is addressable then. */
	poison_all(&g);
	ASAN_UNPOISON_MEMORY_REGION(tensor_bytes(m, &g, m->input), m->tensors[m->input].size);
	stl_set_op_hook(m, expose_operands, &g);
	enum stl_status st = stl_run(m, arena, arena_len, input, in_len, out, out_len);
	stl_set_op_hook(m, NULL, NULL);
	ASAN_UNPOISON_MEMORY_REGION(g.arena, g.arena_len);
	ASAN_UNPOISON_MEMORY_REGION(g.weights, g.weights_len);
	return st;
}

static void run_twice(struct stl_model *m, const uint8_t *file, size_t size)
{
	const size_t arena_len = stl_arena_bytes(m), in_len = stl_input_bytes(m), out_len = stl_output_bytes(m);
	if (arena_len > FUZZ_ARENA_CAP)
		return;
	uint8_t *arena = xalloc(16, arena_len);
	float *input = xalloc(16, in_len), *out0 = xalloc(16, out_len), *out1 = xalloc(16, out_len);
	fill_input((uint8_t *)input, in_len, file, size);

	require(stl_run(m, arena, arena_len, input, in_len - 4, out0, out_len) == STL_E_ARG,
		"stl_run accepted an input 4 bytes shorter than stl_input_bytes()");
	require(stl_run(m, arena, arena_len, input, in_len, out0, out_len + 4) == STL_E_ARG,
		"stl_run accepted an output 4 bytes longer than stl_output_bytes()");
	require(stl_run(m, arena, arena_len - 1, input, in_len, out0, out_len) == STL_E_ARG,
		"stl_run accepted an arena shorter than stl_arena_bytes()");
	require(stl_run(m, arena + 8, arena_len - 8, input, in_len, out0, out_len) == STL_E_ARG,
		"stl_run accepted an arena that is not 16-byte aligned");
	require(stl_run(m, arena, arena_len, (const float *)arena, in_len, out0, out_len) == STL_E_ARG,
		"stl_run accepted an input inside the arena");

	memset(arena, 0x00, arena_len);
	require(guarded_run(m, arena, arena_len, input, in_len, out0, out_len, file, size) == STL_OK,
		"stl_run refused valid arguments for a model stl_load accepted");
	memset(arena, 0xff, arena_len);
	require(guarded_run(m, arena, arena_len, input, in_len, out1, out_len, file, size) == STL_OK,
		"stl_run refused valid arguments on the second run");
	require(memcmp(out0, out1, out_len) == 0,
		"output depends on the arena's previous contents (a kernel reads bytes nobody wrote)");
	free(arena);
	free(input);
	free(out0);
	free(out1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: stl_load needs 16-byte alignment, and with no slack after the last
	 * byte ASan flags any read past the end of the file. */
	uint8_t *file = xalloc(16, size);
	memcpy(file, data, size);
	struct stl_model m;
	if (size > 8)
		require(stl_load(&m, file + 8, size - 8) == STL_E_ARG, "stl_load accepted a buffer not 16-byte aligned");
	enum stl_status st = stl_load(&m, file, size);
	if (st != STL_OK) {
		require(m.error.status == st && m.error.reason != NULL, "a refusal without status and reason");
		float in[4], out[4];
		uint8_t *arena = xalloc(16, 16);
		require(stl_run(&m, arena, 16, in, sizeof in, out, sizeof out) == STL_E_ARG,
			"stl_run accepted a model whose stl_load failed");
		free(arena);
	} else {
		run_twice(&m, file, size);
	}
	require(memcmp(file, data, size) == 0, "the engine wrote into the model buffer");
	free(file);
	return 0;
}

#ifdef FUZZ_FIX_HASH
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * libFuzzer's own mutation, then the fix-ups a writer would make: when the length changed, the
 * length fields follow it (body_size, and weights_size, where inserted or erased bytes most
 * often land), and the body hash is recomputed. Mutants whose length fields disagree in other
 * ways still occur (in-place mutations of those fields), and the plain build covers the rest.
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	(void)seed; /* LLVMFuzzerMutate draws from libFuzzer's own seeded generator */
	size_t n = LLVMFuzzerMutate(data, size, max_size);
	if (n < STL_HEADER_SIZE)
		return n;
	if (n != size && size >= STL_HEADER_SIZE) {
		uint32_t delta = (uint32_t)(n - size); /* modulo 2^32: also right when n < size */
		put32(data + BODY_SIZE_AT, get32(data + BODY_SIZE_AT) + delta);
		put32(data + WEIGHTS_SIZE_AT, get32(data + WEIGHTS_SIZE_AT) + delta);
	}
	stl_sha256(data + STL_HEADER_SIZE, n - STL_HEADER_SIZE, data + SHA256_AT);
	return n;
}
#endif

#ifdef FUZZ_POISON_SELFTEST
/*
 * For every op of every model given: after the op hook ran, every byte of the op's operands is
 * addressable, and every byte of every other tensor that no operand shares is poisoned; after the
 * last op, only the output. Prints one line per model; exit 1 if any byte is wrong.
 */
static int in_tensor(const struct stl_model *m, const struct guard *g, uint32_t t, const uint8_t *p)
{
	const uint8_t *b = tensor_bytes(m, g, t);
	return p >= b && p < b + m->tensors[t].size;
}

/* Should p be addressable before op next_op (or, at n_ops, before the output is copied out)? */
static int exposed(const struct stl_model *m, const struct guard *g, uint32_t next_op, const uint8_t *p)
{
	if (next_op == m->n_ops)
		return in_tensor(m, g, m->output, p);
	const struct stl_op *o = &m->ops[next_op];
	for (uint32_t i = 0; i < operand_count(o); i++)
		if (in_tensor(m, g, operand(m, o, i), p))
			return 1;
	return 0;
}

static size_t wrong_bytes(const struct stl_model *m, const struct guard *g, uint32_t next_op)
{
	size_t wrong = 0;
	for (uint32_t t = 0; t < m->n_tensors; t++) {
		const uint8_t *b = tensor_bytes(m, g, t);
		for (uint32_t k = 0; k < m->tensors[t].size; k++)
			wrong += exposed(m, g, next_op, b + k) == __asan_address_is_poisoned(b + k);
	}
	return wrong;
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		static uint8_t data[1u << 20];
		size_t size = f ? fread(data, 1, sizeof data, f) : 0;
		if (f)
			fclose(f);
		uint8_t *file = xalloc(16, size);
		memcpy(file, data, size);
		struct stl_model m;
		if (stl_load(&m, file, size) != STL_OK) {
			printf("%s: not a loadable model\n", argv[i]);
			failed = 1;
			free(file);
			continue;
		}
		uint8_t *arena = xalloc(16, stl_arena_bytes(&m));
		struct guard g = guard_for(&m, arena, stl_arena_bytes(&m), file, size);
		size_t wrong = 0;
		for (uint32_t op = 0; op <= m.n_ops; op++) {
			expose_operands(&g, &m, op);
			wrong += wrong_bytes(&m, &g, op);
		}
		ASAN_UNPOISON_MEMORY_REGION(g.arena, g.arena_len);
		ASAN_UNPOISON_MEMORY_REGION(g.weights, g.weights_len);
		printf("%s: %u ops, %zu bytes exposed or hidden wrongly\n", argv[i], m.n_ops, wrong);
		failed |= wrong != 0;
		free(arena);
		free(file);
	}
	return failed;
}
#endif
