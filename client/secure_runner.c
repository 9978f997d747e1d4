/*
 * The runner that executes the model in the S-Tinylib TA, through libtzinfer (tzinfer.h): this
 * file only adapts the library to tzinfer-run's runner interface and prints its messages. The
 * session logs in with the caller's identity (or as an administrators' group), which the TA
 * checks before key management.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cancel_watch.h"
#include "diag.h"
#include "inputs.h"
#include "runner.h"
#include "tzinfer.h"

struct secure_state {
	tzi_session *session;
	struct secure_options opt;
	struct tensor_info *io;        /* the inputs, then the outputs, as model_info shows them */
	struct tzi_input *in;          /* the arguments of tzi_run, in the model's order */
	struct tzi_output *out;
};

static int fail(struct secure_state *s)
{
	diag_error("%s", tzi_errmsg(s->session));
	return -1;
}

static void free_io(struct secure_state *s)
{
	free(s->io);
	free(s->in);
	free(s->out);
	s->io = NULL;
	s->in = NULL;
	s->out = NULL;
}

/* The loaded model's inputs and outputs into info (kept in s until unload). */
static int describe(struct secure_state *s, struct model_info *info)
{
	uint32_t n_in = tzi_input_count(s->session), n_out = tzi_output_count(s->session);

	free_io(s);
	s->io = calloc(n_in + n_out, sizeof(*s->io));
	s->in = calloc(n_in, sizeof(*s->in));
	s->out = calloc(n_out, sizeof(*s->out));
	if (!s->io || !s->in || !s->out) {
		diag_error("out of memory");
		return -1;
	}
	for (uint32_t k = 0; k < n_in + n_out; k++) {
		struct tzi_tensor_info t;

		if (k < n_in)
			tzi_input_info(s->session, k, &t);
		else
			tzi_output_info(s->session, k - n_in, &t);
		s->io[k] = (struct tensor_info){ t.name, (uint8_t)t.dtype, (uint8_t)t.ndim, { 0 },
						 (uint32_t)t.bytes };
		memcpy(s->io[k].dims, t.dims, sizeof(s->io[k].dims));
	}
	info->n_inputs = n_in;
	info->n_outputs = n_out;
	info->inputs = s->io;
	info->outputs = s->io + n_in;
	return 0;
}

static int secure_load(struct runner *r, const char *model_path, const uint8_t *file, size_t len,
		       struct model_info *info)
{
	struct secure_state *s = r->state;
	struct tzi_stats stats;

	(void)file; /* the library reads the file itself, so that its messages name it */
	if (tzi_load_file(s->session, model_path, s->opt.key_id) != TZI_OK ||
	    tzi_get_stats(s->session, &stats) != TZI_OK)
		return fail(s);
	info->arena_bytes = (uint32_t)stats.arena_bytes;
	info->weights_bytes = (uint32_t)stats.weights_bytes;
	info->model_bytes = len;
	info->transfer_ms = stats.load_transfer_ms;
	info->verify_ms = stats.load_verify_ms;
	return describe(s, info);
}

static int secure_run(struct runner *r, const struct input_buf *in, const struct output_buf *out,
		      uint32_t *engine_us)
{
	struct secure_state *s = r->state;
	struct model_info info = { 0 };
	uint32_t n_in = tzi_input_count(s->session), n_out = tzi_output_count(s->session);
	char problem[512];
	tzi_status status = TZI_OK;

	info.n_inputs = n_in;
	info.inputs = s->io;
	/* The library would refuse a wrong size too; this says which file it came from. */
	if (s->io && inputs_size_problem(&info, in, problem, sizeof(problem))) {
		diag_error("%s", problem);
		return -1;
	}
	for (uint32_t i = 0; s->io && i < n_in; i++)
		s->in[i] = (struct tzi_input){ s->io[i].name, in[i].data, in[i].bytes };
	for (uint32_t o = 0; s->io && o < n_out; o++)
		s->out[o] = (struct tzi_output){ s->io[n_in + o].name, out[o].data, out[o].bytes };
	cancel_watch_begin(s->session);
	status = tzi_run(s->session, s->in, n_in, s->out, n_out);
	cancel_watch_end();
	if (status == TZI_E_TIMEOUT) {
		const char *code = strrchr(tzi_errmsg(s->session), '[');

		diag_error("the inference ran longer than --timeout %g s and the TA stopped it between "
			   "two ops: raise --timeout, or use a smaller model %s", s->opt.run_timeout_s,
			   code ? code : "");
		return -1;
	}
	if (status != TZI_OK)
		return fail(s);
	*engine_us = tzi_last_run_us(s->session);
	return 0;
}

static void secure_unload(struct runner *r)
{
	struct secure_state *s = r->state;

	if (tzi_unload(s->session) != TZI_OK)
		fail(s);
	free_io(s);
}

int secure_runner_provision_key(struct runner *r, uint32_t key_id, const uint8_t *key,
				size_t len, bool replace)
{
	struct secure_state *s = r->state;

	return tzi_provision_key(s->session, key_id, key, len,
				 replace ? TZI_PROVISION_REPLACE : 0) == TZI_OK ? 0 : fail(s);
}

int secure_runner_delete_key(struct runner *r, uint32_t key_id)
{
	struct secure_state *s = r->state;

	return tzi_delete_key(s->session, key_id) == TZI_OK ? 0 : fail(s);
}

int secure_runner_lock_keys(struct runner *r)
{
	struct secure_state *s = r->state;

	return tzi_lock_keys(s->session) == TZI_OK ? 0 : fail(s);
}

int secure_runner_device_key(struct runner *r, uint8_t key[TZI_DEVICE_KEY_BYTES])
{
	struct secure_state *s = r->state;

	return tzi_device_key(s->session, key) == TZI_OK ? 0 : fail(s);
}

int secure_runner_attest(struct runner *r, const uint8_t nonce[TZI_NONCE_BYTES],
			 uint8_t report[TZI_ATTEST_REPORT_BYTES])
{
	struct secure_state *s = r->state;

	return tzi_attest(s->session, nonce, report) == TZI_OK ? 0 : fail(s);
}

static void secure_print_memory(struct runner *r, const struct model_info *info, FILE *out)
{
	struct secure_state *s = r->state;
	struct tzi_stats stats;

	if (tzi_get_stats(s->session, &stats) != TZI_OK) {
		fail(s);
		return;
	}
	fprintf(out, "secure memory: %zu bytes (model %zu + arena %u) of a %llu-byte session quota\n",
		info->model_bytes + info->arena_bytes, info->model_bytes, info->arena_bytes,
		(unsigned long long)stats.secure_limit_bytes);
	fprintf(out, "secure buffers: %llu bytes in use, %llu peak (this session)\n",
		(unsigned long long)stats.secure_in_use_bytes,
		(unsigned long long)stats.secure_peak_bytes);
}

static void secure_close(struct runner *r)
{
	struct secure_state *s = r->state;

	free_io(s);
	tzi_close(s->session);
	free(s);
	r->state = NULL;
}

/* More threads than cores only adds contention: each core then runs two of the team's entries
 * in turn, and they wait for each other at every op's end. */
static void warn_more_threads_than_cores(uint32_t threads)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (cores > 0 && threads > (uint32_t)cores)
		fprintf(stderr, "tzinfer-run: warning: --threads %u is more than the %ld online CPUs: "
			"the team's entries will contend for cores; use --threads %ld or fewer\n",
			threads, cores, cores);
}

static const struct runner_ops secure_ops = {
	.world = "secure",
	.load = secure_load,
	.run = secure_run,
	.unload = secure_unload,
	.print_memory = secure_print_memory,
	.close = secure_close,
};

int secure_runner_open(struct runner *r, const struct secure_options *opt)
{
	struct secure_state *s = calloc(1, sizeof(*s));
	tzi_status status = TZI_OK;

	if (!s) {
		diag_error("out of memory");
		return -1;
	}
	r->ops = &secure_ops;
	r->state = s;
	s->opt = *opt;
	status = opt->login_group ? tzi_open_group(&s->session, opt->login_gid) : tzi_open(&s->session);
	if (status != TZI_OK || tzi_set_upload_chunk(s->session, opt->chunk_bytes) != TZI_OK ||
	    tzi_set_attest(s->session, opt->attest) != TZI_OK ||
	    tzi_set_time_limit(s->session, opt->run_timeout_s) != TZI_OK ||
	    (opt->threads > 1 && tzi_set_threads(s->session, opt->threads) != TZI_OK)) {
		fail(s);
		secure_close(r);
		return -1;
	}
	warn_more_threads_than_cores(opt->threads);
	return 0;
}
