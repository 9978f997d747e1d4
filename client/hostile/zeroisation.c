#include "zeroisation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ta_link.h"
#include "ta_ops.h"
#include "tzinfer_sealed.h"
#include "tzinfer_ta.h"
#include "tzinfer_ta_test.h"

/* Bytes of each pattern searched for: long enough that a chance match is out of question. */
#define WINDOW 16u
/* A byte of the sealed package's GCM tag (docs/sealed-format.md). */
#define SEALED_TAG_BYTE (TZI_SEALED_TAG_OFF + 5u)

struct audit {
	uint32_t regions, bytes, nonzero, dirty, heap, stack;
};

struct run {
	const struct zeroisation_inputs *in;
	struct ta_link witness; /* keeps the single TA instance, and its heap, alive throughout */
	float *output;
	uint32_t output_len;
	unsigned failures;
};

static const TEEC_UUID test_ta = TZI_TEST_TA_UUID;
static const uint8_t *const stale = (const uint8_t *)TZI_TEST_STALE_PATTERN;

static TEEC_Result audit(struct run *r, const void *pattern, size_t len, struct audit *a)
{
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					 pattern ? TEEC_MEMREF_TEMP_INPUT : TEEC_NONE, TEEC_VALUE_OUTPUT);
	op.params[2].tmpref.buffer = (void *)pattern;
	op.params[2].tmpref.size = len;
	res = ta_link_call(&r->witness, TZI_CMD_TEST_WIPE_AUDIT, &op);
	a->regions = op.params[0].value.a;
	a->bytes = op.params[0].value.b;
	a->nonzero = op.params[1].value.a;
	a->dirty = op.params[1].value.b;
	a->heap = op.params[3].value.a;
	a->stack = op.params[3].value.b;
	return res;
}

/*
 * Audit after `step`: at least min_regions regions of at least min_bytes released, all zero,
 * and `pattern` (named what) found want_heap times in the heap (-1: at least once, the
 * control that the search sees live data) and never on the stack.
 */
static void expect(struct run *r, const char *step, uint32_t min_regions, size_t min_bytes,
		   const char *what, const uint8_t *pattern, int want_heap)
{
	struct audit a = { 0 };
	TEEC_Result res = audit(r, pattern, pattern ? WINDOW : 0, &a);
	int ok = res == TEEC_SUCCESS && a.regions >= min_regions && a.bytes >= min_bytes &&
		 !a.nonzero && !a.dirty && !a.stack &&
		 (want_heap < 0 ? a.heap > 0 : a.heap == (uint32_t)want_heap);

	printf("audit %s: regions=%u bytes=%u nonzero=%u dirty=%u %s_heap=%u %s_stack=%u "
	       "(TEEC 0x%08x) %s\n", step, a.regions, a.bytes, a.nonzero, a.dirty, what, a.heap,
	       what, a.stack, res, ok ? "ok" : "FAIL");
	r->failures += !ok;
}

static void expect_result(struct run *r, const char *step, TEEC_Result want, TEEC_Result got)
{
	printf("audit %s: TEEC 0x%08x (want 0x%08x) %s\n", step, got, want,
	       got == want ? "ok" : "FAIL");
	r->failures += got != want;
}

/* WINDOW bytes at the first 4-aligned offset from `from` on that occur once in buf and hold
 * no zero byte (an all-zero run would match any wiped memory). */
static const uint8_t *unique_window(const uint8_t *buf, size_t len, size_t from)
{
	for (size_t i = from & ~(size_t)3; i + WINDOW <= len; i += 4) {
		const uint8_t *w = buf + i;
		size_t hits = 0;

		if (memchr(w, 0, WINDOW))
			continue;
		for (size_t j = 0; j + WINDOW <= len && hits < 2; j++)
			hits += !memcmp(buf + j, w, WINDOW);
		if (hits == 1)
			return w;
	}
	return NULL;
}

static TEEC_Result load_and_run(struct run *r, struct ta_link *l, const uint8_t *file, size_t len)
{
	TEEC_Result res = ta_link_load(l, file, len, TZI_MAX_CHUNK_BYTES, &r->output_len);

	if (res == TEEC_SUCCESS && !r->output)
		r->output = calloc(1, r->output_len);
	if (res == TEEC_SUCCESS)
		res = r->output ? ta_link_run(l, r->in->input, r->in->input_len, r->output,
					      r->output_len) : TEEC_ERROR_OUT_OF_MEMORY;
	return res;
}

/* The product TA must answer the test command like any unknown one. */
static void product_has_no_audit(struct run *r)
{
	const TEEC_UUID product = TZI_TA_UUID;
	struct ta_link l;
	TEEC_Operation op = { 0 };

	if (ta_link_open(&l, &product, TZI_TA_UUID_STR, TEEC_LOGIN_PUBLIC)) {
		r->failures++;
		return;
	}
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE,
					 TEEC_VALUE_OUTPUT);
	expect_result(r, "product TA has no WIPE_AUDIT", TEEC_ERROR_NOT_SUPPORTED,
		      ta_link_call(&l, TZI_CMD_TEST_WIPE_AUDIT, &op));
	ta_link_close(&l);
}

/* Plain model: UNLOAD, session close, an upload cut short and a model that fails to verify. */
static void plain_model(struct run *r, const uint8_t *weights)
{
	const struct zeroisation_inputs *in = r->in;
	size_t half = (size_t)(weights - in->model) + WINDOW;
	const uint8_t *output = NULL;
	struct ta_link a;
	TEEC_Operation op = { 0 };
	uint8_t *broken = NULL;

	if (ta_link_open(&a, &test_ta, TZI_TEST_TA_UUID_STR, TEEC_LOGIN_USER)) {
		r->failures++;
		return;
	}
	/* Every buffer LOAD_END leaves is written or zeroed: no stale heap bytes in the arena. */
	expect_result(r, "load", TEEC_SUCCESS,
		      ta_link_load(&a, in->model, in->model_len, TZI_MAX_CHUNK_BYTES, NULL));
	expect(r, "model loaded", 0, 0, "stale", stale, 0);
	expect_result(r, "first unload", TEEC_SUCCESS, ta_link_unload(&a));
	expect(r, "after the first unload", 2, in->model_len, "weights", weights, 0);
	expect_result(r, "load and run", TEEC_SUCCESS, load_and_run(r, &a, in->model, in->model_len));
	expect(r, "model loaded (control)", 0, 0, "weights", weights, -1);
	expect_result(r, "unload", TEEC_SUCCESS, ta_link_unload(&a));
	expect(r, "after unload", 2, in->model_len, "weights", weights, 0);
	output = unique_window((const uint8_t *)r->output, r->output_len, 0);
	if (output)
		expect(r, "after unload", 0, 0, "output", output, 0);
	else
		printf("audit after unload: the output has no distinctive window, not searched\n");

	expect_result(r, "load and run again", TEEC_SUCCESS, load_and_run(r, &a, in->model, in->model_len));
	ta_link_close(&a);
	expect(r, "after session close", 3, in->model_len, "weights", weights, 0);

	/* An upload that stops after the window: a chunk at the wrong offset ends it. */
	if (ta_link_open(&a, &test_ta, TZI_TEST_TA_UUID_STR, TEEC_LOGIN_USER)) {
		r->failures++;
		return;
	}
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = (uint32_t)in->model_len;
	ta_link_call(&a, TZI_CMD_LOAD_BEGIN, &op);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)in->model;
	op.params[0].tmpref.size = half;
	ta_link_call(&a, TZI_CMD_LOAD_CHUNK, &op);
	/* Control: the test build's stale fill is still in the upload's unsent tail. */
	expect(r, "upload half done (control)", 0, 0, "stale", stale, -1);
	op.params[1].value.a = 0; /* not the next offset */
	expect_result(r, "chunk at a wrong offset", TEEC_ERROR_BAD_PARAMETERS,
		      ta_link_call(&a, TZI_CMD_LOAD_CHUNK, &op));
	expect(r, "after the rejected chunk", 1, in->model_len, "weights", weights, 0);

	/* A byte changed just before the window: the body hash check fails after the upload. */
	broken = malloc(in->model_len);
	if (broken) {
		memcpy(broken, in->model, in->model_len);
		broken[weights - in->model - 4] ^= 0x40;
		expect_result(r, "model with a bad hash", TEEC_ERROR_BAD_FORMAT,
			      ta_link_load(&a, broken, in->model_len, TZI_MAX_CHUNK_BYTES, NULL));
		expect(r, "after the failed verification", 1, in->model_len, "weights", weights, 0);
		free(broken);
	}
	ta_link_close(&a);
}

/* Sealed model: the key, the decrypted weights after UNLOAD, and a package with a bad tag. */
static void sealed_model(struct run *r, const uint8_t *weights)
{
	const struct zeroisation_inputs *in = r->in;
	uint32_t key_id = 0;
	struct ta_link a;
	TEEC_Operation op;
	uint8_t *tampered = NULL;

	memcpy(&key_id, in->sealed + TZI_SEALED_KEY_ID_OFF, sizeof(key_id)); /* little-endian target */
	if (ta_link_open(&a, &test_ta, TZI_TEST_TA_UUID_STR, TEEC_LOGIN_USER)) {
		r->failures++;
		return;
	}
	/* As root (TEEC_LOGIN_USER), replacing what an earlier test may have stored. */
	ta_op_provision_key(&op, key_id, in->key, in->key_len, TZI_KEY_REPLACE);
	expect_result(r, "provision key", TEEC_SUCCESS, ta_link_call(&a, TZI_CMD_PROVISION_KEY, &op));
	expect(r, "after provisioning", 0, 0, "key", in->key, 0);
	expect_result(r, "load and run sealed", TEEC_SUCCESS,
		      load_and_run(r, &a, in->sealed, in->sealed_len));
	expect(r, "sealed model loaded (control)", 0, 0, "weights", weights, -1);
	expect_result(r, "unload sealed", TEEC_SUCCESS, ta_link_unload(&a));
	expect(r, "after unloading the sealed model", 2, in->sealed_len, "weights", weights, 0);
	expect(r, "after unloading the sealed model", 0, 0, "key", in->key, 0);

	tampered = malloc(in->sealed_len);
	if (tampered) {
		memcpy(tampered, in->sealed, in->sealed_len);
		tampered[SEALED_TAG_BYTE] ^= 0x01;
		expect_result(r, "sealed model with a bad tag", TEE_ERROR_MAC_INVALID,
			      ta_link_load(&a, tampered, in->sealed_len, TZI_MAX_CHUNK_BYTES, NULL));
		expect(r, "after the failed decryption", 1, in->sealed_len, "weights", weights, 0);
		free(tampered);
	}
	ta_op_delete_key(&op, key_id);
	expect_result(r, "delete key", TEEC_SUCCESS, ta_link_call(&a, TZI_CMD_DELETE_KEY, &op));
	ta_link_close(&a);
}

int zeroisation_run(const struct zeroisation_inputs *in)
{
	struct run r = { .in = in };
	const uint8_t *weights = unique_window(in->model, in->model_len, in->model_len / 2);
	const uint8_t *input = unique_window((const uint8_t *)in->input, in->input_len, 0);
	struct audit discard = { 0 };

	/* The cut-short upload sends everything up to the window in one chunk. */
	if (!weights || !input || in->key_len != TZI_MODEL_KEY_BYTES ||
	    (size_t)(weights - in->model) + WINDOW > TZI_MAX_CHUNK_BYTES) {
		fprintf(stderr, "tzinfer-hostile: the audit needs a model under %u MiB and an input with "
			"a distinctive %u-byte window, and a %u-byte key\n",
			2 * TZI_MAX_CHUNK_BYTES >> 20, WINDOW, TZI_MODEL_KEY_BYTES);
		return -1;
	}
	product_has_no_audit(&r);
	if (ta_link_open(&r.witness, &test_ta, TZI_TEST_TA_UUID_STR, TEEC_LOGIN_PUBLIC))
		return -1;
	audit(&r, NULL, 0, &discard); /* what earlier sessions left is not this run's */
	plain_model(&r, weights);
	expect(&r, "at the end", 0, 0, "input", input, 0);
	sealed_model(&r, weights);
	ta_link_close(&r.witness);
	free(r.output);
	printf("zeroisation audit: %u failures, %u TA deaths\n", r.failures, r.witness.reopens);
	return r.failures || r.witness.reopens ? -1 : 0;
}
