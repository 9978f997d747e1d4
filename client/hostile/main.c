/*
 * tzinfer-hostile: malformed requests and a soak against the S-Tinylib TA, through libteec
 * like any client. A test tool for the QEMU stack and boards, not part of the product.
 *
 *   tzinfer-hostile [--corruptions LIST] [--output OUT.npy] MODEL.tzm INPUT.npy
 *       sends every malformed request (hostile_cases.h), one "case" line each, then one valid
 *       inference whose output goes to OUT.npy; exit 0 only if every case got its defined
 *       result, the TA never died and the valid request succeeded.
 *   tzinfer-hostile --soak RUNS [--cycles N] MODEL.tzm INPUT.npy
 *       RUNS inferences on one loaded model and N load/run/unload cycles (soak.h).
 *   tzinfer-hostile --team-close MODEL.tzm INPUT.npy
 *       a team run whose worker session another thread closes mid-run (team_close.h).
 *   tzinfer-hostile --wipe-audit SEALED.tzms --key KEY MODEL.tzm INPUT.npy
 *       the zeroisation audit against the test build of the TA (zeroisation.h); SEALED is
 *       MODEL sealed with the raw 32-byte KEY.
 *   tzinfer-hostile --rendezvous WAIT_MS
 *   tzinfer-hostile --panic-beside WAIT_MS
 *   tzinfer-hostile --open-session UUID
 *       concurrent worker entries, and a TA that must not load (concurrent_entries.h).
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "concurrent_entries.h"
#include "file_io.h"
#include "hostile_cases.h"
#include "io_block.h"
#include "npy.h"
#include "soak.h"
#include "ta_link.h"
#include "team_close.h"
#include "tzinfer_ta.h"
#include "zeroisation.h"

#define USAGE "usage: tzinfer-hostile [--corruptions LIST] [--output OUT.npy] MODEL.tzm INPUT.npy\n" \
	      "       tzinfer-hostile --soak RUNS [--cycles N] MODEL.tzm INPUT.npy\n" \
	      "       tzinfer-hostile --team-close MODEL.tzm INPUT.npy\n" \
	      "       tzinfer-hostile --wipe-audit SEALED.tzms --key KEY MODEL.tzm INPUT.npy\n" \
	      "       tzinfer-hostile --rendezvous WAIT_MS\n" \
	      "       tzinfer-hostile --panic-beside WAIT_MS\n" \
	      "       tzinfer-hostile --open-session UUID\n"

struct options {
	const char *corruptions, *output, *model, *input, *sealed, *key;
	unsigned soak_runs, soak_cycles;
	int soak, team_close;
};

static int parse_count(const char *flag, const char *text, unsigned *value)
{
	char *end = NULL;
	unsigned long v = strtoul(text, &end, 10);

	if (!*text || *end || v > 1000000ul) {
		fprintf(stderr, "tzinfer-hostile: %s %s is not a count: give 0..1000000\n", flag, text);
		return -1;
	}
	*value = (unsigned)v;
	return 0;
}

static int parse(int argc, char **argv, struct options *o)
{
	int i = 1;

	memset(o, 0, sizeof(*o));
	if (argc > 1 && !strcmp(argv[1], "--team-close")) {
		o->team_close = 1;
		i = 2;
	}
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--corruptions"))
			o->corruptions = argv[i + 1];
		else if (!strcmp(argv[i], "--output"))
			o->output = argv[i + 1];
		else if (!strcmp(argv[i], "--wipe-audit"))
			o->sealed = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			o->key = argv[i + 1];
		else if (!strcmp(argv[i], "--soak") && !parse_count(argv[i], argv[i + 1], &o->soak_runs))
			o->soak = 1;
		else if (strcmp(argv[i], "--cycles") || parse_count(argv[i], argv[i + 1], &o->soak_cycles))
			break;
	}
	if (argc - i != 2 || !o->sealed != !o->key) {
		fputs(USAGE, stderr);
		return -1;
	}
	o->model = argv[i];
	o->input = argv[i + 1];
	return 0;
}

/* The valid request after all the hostile ones: it must still be answered. Its first output
 * goes to `output` as a 1-D .npy. */
static int valid_request(struct hostile *h, const char *output)
{
	uint8_t *out = calloc(1, h->output_block);
	TEEC_Result res = ta_link_load(h->link, h->model, h->model_len, TZI_MAX_CHUNK_BYTES, NULL);
	const uint8_t *y = NULL;
	size_t bytes = 0;
	int rc = -1;

	if (out && res == TEEC_SUCCESS)
		res = ta_link_run(h->link, h->input, h->input_len, out, h->output_block);
	printf("valid request after the hostile ones: 0x%08x %s\n", res,
	       res == TEEC_SUCCESS ? "ok" : "FAIL");
	if (out && res == TEEC_SUCCESS && (y = io_block_tensor(out, h->output_block, 0, &bytes))) {
		uint32_t count = (uint32_t)(bytes / sizeof(float));

		rc = output ? npy_save_f32(output, (const float *)(const void *)y, &count, 1) : 0;
	}
	ta_link_unload(h->link);
	free(out);
	return rc;
}

static int hostile(struct ta_link *link, const struct options *o, const uint8_t *model,
		   size_t model_len, const struct npy_f32 *input)
{
	struct hostile h = { 0 };
	struct ta_usage usage = { 0 };
	int rc = 0;

	h.link = link;
	h.model = model;
	h.model_len = model_len;
	h.input = input->data;
	h.input_len = input->count * sizeof(float);
	if (ta_link_stats(link, &usage) != TEEC_SUCCESS ||
	    ta_link_load(link, model, model_len, TZI_MAX_CHUNK_BYTES, &h.output_block) != TEEC_SUCCESS) {
		fprintf(stderr, "tzinfer-hostile: %s does not load: give a valid model\n", o->model);
		return -1;
	}
	h.quota = usage.quota;
	ta_link_unload(link);
	hostile_run_builtin(&h);
	if (o->corruptions)
		rc = hostile_run_corruptions(&h, o->corruptions);
	rc |= valid_request(&h, o->output);
	hostile_check_nothing_held(&h, usage.in_use);
	printf("hostile: %u cases, %u failures, %u TA deaths\n", h.cases, h.failures,
	       link->reopens);
	return rc || h.failures || link->reopens ? -1 : 0;
}

/* The audit reads the sealed package and its key besides the model and input. */
static int wipe_audit(const struct options *o, const uint8_t *model, size_t model_len,
		      const struct npy_f32 *input)
{
	struct zeroisation_inputs in = { model, model_len, NULL, 0, NULL, 0, input->data,
					 input->count * sizeof(float) };
	uint8_t *sealed = file_read_all(o->sealed, &in.sealed_len);
	uint8_t *key = file_read_all(o->key, &in.key_len);
	int rc = 2;

	if (sealed && key) {
		in.sealed = sealed;
		in.key = key;
		rc = zeroisation_run(&in) ? 1 : 0;
	}
	if (key)
		explicit_bzero(key, in.key_len); /* the compiler may not drop it before free() */
	free(key);
	free(sealed);
	return rc;
}

int main(int argc, char **argv)
{
	const TEEC_UUID product = TZI_TA_UUID;
	struct options o;
	struct npy_f32 input = { 0 };
	struct ta_link link;
	uint8_t *model = NULL;
	size_t model_len = 0;
	int rc = 1;

	if (argc == 3 && !strcmp(argv[1], "--rendezvous"))
		return concurrent_rendezvous(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--panic-beside"))
		return concurrent_panic_beside(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--open-session"))
		return concurrent_open_session(argv[2]);
	if (parse(argc, argv, &o))
		return 2;
	model = file_read_all(o.model, &model_len);
	if (!model || npy_load_f32(o.input, &input)) {
		free(model);
		return 2;
	}
	if (o.sealed) {
		rc = wipe_audit(&o, model, model_len, &input);
	} else if (!ta_link_open(&link, &product, TZI_TA_UUID_STR, TEEC_LOGIN_PUBLIC)) {
		if (o.team_close)
			rc = team_close_run(&link, model, model_len, input.data,
					    input.count * sizeof(float)) ? 1 : 0;
		else if (o.soak)
			rc = soak_run(&link, model, model_len, input.data, input.count * sizeof(float),
				      o.soak_runs, o.soak_cycles) ? 1 : 0;
		else
			rc = hostile(&link, &o, model, model_len, &input) ? 1 : 0;
		ta_link_close(&link);
	}
	free(input.file);
	free(model);
	return rc;
}
