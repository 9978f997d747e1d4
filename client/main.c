/*
 * tzinfer-run: run a .tzm model on its inputs inside OP-TEE (or, for comparison, with the same
 * engine in the normal world) and print its inputs and outputs, the top-k of its first output,
 * the memory used and the timings.
 *
 *   tzinfer-run MODEL.tzm [INPUT.npy | --input NAME=FILE.npy...] [--top K] [--labels FILE]
 *               [--output OUT.npz|OUT.npy] [--repeat N] [--world secure|normal]
 *               [--reload-each-run] [--chunk BYTES]
 *   tzinfer-run MODEL.tzm --describe                  (its inputs and outputs only)
 *
 *   tzinfer-run --provision-key KEYFILE --key-id ID   (store a model key in the TA)
 *   tzinfer-run --delete-key ID                       (remove it, e.g. after rotation)
 *
 * Output lines are "key: value" so that scripts can read them (tests/qemu, invoke bench-qemu).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "diag.h"
#include "file_io.h"
#include "inputs.h"
#include "labels.h"
#include "npy.h"
#include "runner.h"
#include "topk.h"
#include "tzinfer_ta.h"

#define MAX_TOP 100
#define MAX_INPUTS 255 /* the format's cap on a model's inputs */

struct options {
	const char *model_path, *labels_path, *output_path;
	char *inputs[MAX_INPUTS]; /* INPUT.npy, or NAME=FILE.npy per --input */
	size_t n_inputs;
	const char *provision_key_path; /* key administration instead of a model run */
	size_t top, repeat, chunk_bytes, key_id, delete_key_id;
	bool normal_world, reload_each_run, describe;
};

struct timings {
	double load_ms;        /* first load, wall clock in the client */
	double transfer_ms, verify_ms; /* its parts (struct model_info) */
	double *engine_ms;     /* per inference: engine time where it ran */
	double *round_trip_ms; /* per inference: wall clock in the client */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tzinfer-run MODEL.tzm [INPUT.npy | --input NAME=FILE.npy...] [--top K]\n"
		"                   [--labels FILE] [--output OUT.npz|OUT.npy] [--repeat N]\n"
		"                   [--world secure|normal] [--reload-each-run] [--chunk BYTES]\n"
		"       tzinfer-run MODEL.tzm --describe\n"
		"  MODEL.tzm          model converted with `tzinfer convert`\n"
		"  INPUT.npy          preprocessed input tensor, float32 (np.save), of a model with one input\n"
		"  --input NAME=F.npy the model's input NAME; give one for each input\n"
		"  --describe         print the model's inputs and outputs and stop\n"
		"  --top K            print the K best classes of the first output (default 5, at most %d)\n"
		"  --labels FILE      class names, one per line (line i = class i)\n"
		"  --output OUT.npz   save every output, by name (np.load(OUT)[name]); OUT.npy: the only\n"
		"                     output of a model with one\n"
		"  --repeat N         run N inferences and report the median times (default 1)\n"
		"  --world W          secure: in the OP-TEE TA (default); normal: the same engine in\n"
		"                     this process, unprotected (benchmark baseline)\n"
		"  --reload-each-run  send the model to the TA again before every inference (the\n"
		"                     SmartZone-style baseline of invoke bench-qemu)\n"
		"  --chunk BYTES      shared-memory chunk for the model upload (default %u)\n"
		"       tzinfer-run --provision-key KEYFILE --key-id ID | --delete-key ID\n"
		"  --provision-key F  store the 32-byte model key in F in the TA's secure storage\n"
		"                     under ID (1 ... 4294967295); sealed models name it by ID\n"
		"  --delete-key ID    remove the key stored under ID\n",
		MAX_TOP, TZI_MAX_CHUNK_BYTES);
}

static int parse_size(const char *opt, const char *text, size_t min, size_t max, size_t *out)
{
	char *end = NULL;
	unsigned long long v = strtoull(text, &end, 0);

	if (!*text || *end || v < min || v > max) {
		diag_error("%s %s: expected a number from %zu to %zu", opt, text, min, max);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int i = 0, positional = 0;

	memset(o, 0, sizeof(*o));
	o->top = 5;
	o->repeat = 1;
	o->chunk_bytes = TZI_MAX_CHUNK_BYTES;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--reload-each-run")) {
			o->reload_each_run = true;
		} else if (!strcmp(a, "--describe")) {
			o->describe = true;
		} else if (a[0] == '-' && a[1] == '-' && !has_value) {
			diag_error("%s needs a value: see tzinfer-run --help", a);
			return -1;
		} else if (!strcmp(a, "--top")) {
			if (parse_size(a, argv[++i], 1, MAX_TOP, &o->top))
				return -1;
		} else if (!strcmp(a, "--repeat")) {
			if (parse_size(a, argv[++i], 1, 100000, &o->repeat))
				return -1;
		} else if (!strcmp(a, "--chunk")) {
			if (parse_size(a, argv[++i], 1, TZI_MAX_CHUNK_BYTES, &o->chunk_bytes))
				return -1;
		} else if (!strcmp(a, "--key-id")) {
			if (parse_size(a, argv[++i], 1, UINT32_MAX, &o->key_id))
				return -1;
		} else if (!strcmp(a, "--delete-key")) {
			if (parse_size(a, argv[++i], 1, UINT32_MAX, &o->delete_key_id))
				return -1;
		} else if (!strcmp(a, "--provision-key")) {
			o->provision_key_path = argv[++i];
		} else if (!strcmp(a, "--labels")) {
			o->labels_path = argv[++i];
		} else if (!strcmp(a, "--output")) {
			o->output_path = argv[++i];
		} else if (!strcmp(a, "--input")) {
			if (o->n_inputs == MAX_INPUTS) {
				diag_error("more than %d inputs: no model has that many", MAX_INPUTS);
				return -1;
			}
			o->inputs[o->n_inputs++] = argv[++i];
		} else if (!strcmp(a, "--world")) {
			a = argv[++i];
			if (strcmp(a, "secure") && strcmp(a, "normal")) {
				diag_error("--world %s: expected secure or normal", a);
				return -1;
			}
			o->normal_world = !strcmp(a, "normal");
		} else if (a[0] == '-' && a[1]) {
			diag_error("unknown option %s: see tzinfer-run --help", a);
			return -1;
		} else if (positional == 0) {
			o->model_path = a;
			positional++;
		} else if (positional == 1) {
			o->inputs[o->n_inputs++] = argv[i];
			positional++;
		} else {
			diag_error("unexpected argument %s: see tzinfer-run --help", a);
			return -1;
		}
	}
	if (o->provision_key_path || o->delete_key_id) {
		if (positional || (o->provision_key_path && o->delete_key_id) ||
		    !o->provision_key_path != !o->key_id) {
			diag_error("key administration is --provision-key KEYFILE --key-id ID, or "
				   "--delete-key ID, alone: see tzinfer-run --help");
			return -1;
		}
		return 0;
	}
	if (positional < 1 || (positional == 2 && o->n_inputs > 1)) {
		diag_error("give MODEL.tzm, then INPUT.npy or an --input NAME=FILE.npy for each input: "
			   "see tzinfer-run --help");
		return -1;
	}
	if (o->describe != !o->n_inputs) {
		diag_error("%s: see tzinfer-run --help", o->describe ? "--describe takes no inputs" :
			   "give INPUT.npy or --input NAME=FILE.npy (or --describe)");
		return -1;
	}
	if (o->output_path && !has_suffix(o->output_path, ".npz") && !has_suffix(o->output_path, ".npy")) {
		diag_error("--output %s: give OUT.npz (every output) or OUT.npy (a model with one output)",
			   o->output_path);
		return -1;
	}
	if (o->normal_world && o->reload_each_run) {
		diag_error("--reload-each-run measures the TA: drop it or --world normal");
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v). */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_top(const struct options *o, const float *scores, size_t n,
		      const struct labels *labels)
{
	size_t idx[MAX_TOP], k = o->top < n ? o->top : n, i = 0;

	topk(scores, n, idx, k);
	printf("top-%zu:\n", k);
	for (i = 0; i < k; i++) {
		const char *name = labels_get(labels, idx[i]);

		printf("  #%zu class %zu score %.6g%s%s\n", i + 1, idx[i], scores[idx[i]],
		       name ? " " : "", name ? name : "");
	}
}

static void print_timings(const struct options *o, const char *world, struct timings *t)
{
	const char *where = strcmp(world, "secure") ?
		"clock_gettime around stl_run in the normal world" :
		"TEE_GetSystemTime in the TA, 1 ms resolution";
	double engine = median(t->engine_ms, o->repeat), round_trip = 0;

	/* median() sorted the samples: the first is the minimum, the least disturbed by a busy host. */
	printf("load ms: %.3f (transfer %.3f, verify %.3f)\n", t->load_ms, t->transfer_ms,
	       t->verify_ms);
	printf("inference ms: %.3f (median of %zu; %s)\n", engine, o->repeat, where);
	printf("inference min ms: %.3f\n", t->engine_ms[0]);
	round_trip = median(t->round_trip_ms, o->repeat);
	printf("round trip ms: %.3f (median of %zu; client wall clock%s)\n", round_trip, o->repeat,
	       o->reload_each_run ? ", model re-sent and re-verified every run" : "");
	printf("round trip min ms: %.3f\n", t->round_trip_ms[0]);
}

static void print_tensors(const char *kind, const struct tensor_info *t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		printf("%s %u '%s': float32 [", kind, i, t[i].name);
		for (unsigned d = 0; d < t[i].ndim; d++)
			printf("%s%u", d ? ", " : "", t[i].dims[d]);
		printf("]\n");
	}
}

/* Every output into OUT.npz by name, or the only one into OUT.npy; 0 or -1. */
static int save_outputs(const char *path, const struct model_info *info, const struct output_buf *out)
{
	struct npz_entry *entries = NULL;
	int rc = -1;

	if (has_suffix(path, ".npy")) {
		if (info->n_outputs == 1)
			return npy_save_f32(path, out[0].data, info->outputs[0].dims, info->outputs[0].ndim);
		diag_error("--output %s: the model has %u outputs: give OUT.npz to save them all", path,
			   info->n_outputs);
		return -1;
	}
	entries = calloc(info->n_outputs, sizeof(*entries));
	if (!entries) {
		diag_error("out of memory");
		return -1;
	}
	for (uint32_t o = 0; o < info->n_outputs; o++)
		entries[o] = (struct npz_entry){ info->outputs[o].name, out[o].data, info->outputs[o].dims,
						 info->outputs[o].ndim };
	rc = npz_save_f32(path, entries, info->n_outputs);
	free(entries);
	return rc;
}

/* Load (timed), run o->repeat times (each timed), print; 0 on success. */
static int classify(const struct options *o, struct runner *r, const uint8_t *model,
		    size_t model_len, const struct labels *labels)
{
	struct model_info info = { 0 };
	struct timings t = { 0 };
	struct input_buf *in = NULL;
	struct npy_f32 *files = NULL;
	struct output_buf *out = NULL;
	size_t i = 0;
	int rc = -1;
	double start = clock_ms();

	if (r->ops->load(r, o->model_path, model, model_len, &info) != 0)
		return -1;
	t.load_ms = clock_ms() - start;
	t.transfer_ms = info.transfer_ms;
	t.verify_ms = info.verify_ms;
	if (o->describe) {
		print_tensors("input", info.inputs, info.n_inputs);
		print_tensors("output", info.outputs, info.n_outputs);
		rc = 0;
		goto done;
	}
	in = calloc(info.n_inputs, sizeof(*in));
	files = calloc(info.n_inputs, sizeof(*files));
	out = calloc(info.n_outputs, sizeof(*out));
	t.engine_ms = calloc(o->repeat, sizeof(double));
	t.round_trip_ms = calloc(o->repeat, sizeof(double));
	if (!in || !files || !out || !t.engine_ms || !t.round_trip_ms) {
		diag_error("out of memory");
		goto done;
	}
	if (inputs_load(&info, o->inputs, o->n_inputs, in, files) != 0)
		goto done;
	for (uint32_t k = 0; k < info.n_outputs; k++) {
		out[k] = (struct output_buf){ malloc(info.outputs[k].bytes), info.outputs[k].bytes };
		if (!out[k].data) {
			diag_error("out of memory");
			goto done;
		}
	}
	for (i = 0; i < o->repeat; i++) {
		uint32_t engine_us = 0;

		start = clock_ms();
		if (o->reload_each_run) {
			r->ops->unload(r);
			if (r->ops->load(r, o->model_path, model, model_len, &info) != 0)
				goto done;
		}
		if (r->ops->run(r, in, out, &engine_us) != 0)
			goto done;
		t.round_trip_ms[i] = clock_ms() - start;
		t.engine_ms[i] = engine_us / 1e3;
	}
	printf("model: %s\n", o->model_path);
	printf("world: %s\n", r->ops->world);
	printf("mode: %s\n", o->reload_each_run ? "reload-each-run" : "resident");
	printf("model bytes: %zu\n", info.model_bytes);
	printf("weights bytes: %u\n", info.weights_bytes);
	printf("arena bytes: %u\n", info.arena_bytes);
	print_tensors("input", info.inputs, info.n_inputs);
	print_tensors("output", info.outputs, info.n_outputs);
	print_top(o, out[0].data, out[0].bytes / sizeof(float), labels);
	r->ops->print_memory(r, &info, stdout);
	print_timings(o, r->ops->world, &t);
	if (o->output_path && save_outputs(o->output_path, &info, out) != 0)
		goto done;
	rc = 0;
done:
	r->ops->unload(r);
	for (uint32_t k = 0; out && k < info.n_outputs; k++)
		free(out[k].data);
	for (uint32_t k = 0; files && k < info.n_inputs; k++)
		free(files[k].file);
	free(in);
	free(files);
	free(out);
	free(t.engine_ms);
	free(t.round_trip_ms);
	return rc;
}

/* --provision-key / --delete-key: 0 on success. */
static int administer_key(const struct options *o)
{
	struct runner runner = { 0 };
	uint8_t *key = NULL;
	size_t key_len = 0;
	int rc = -1;

	if (o->provision_key_path) {
		key = file_read_all(o->provision_key_path, &key_len);
		if (!key)
			return -1;
		if (key_len != TZI_MODEL_KEY_BYTES) {
			diag_error("%s holds %zu bytes, a model key is %u: create one with `tzinfer "
				   "keys generate`", o->provision_key_path, key_len,
				   TZI_MODEL_KEY_BYTES);
			goto done;
		}
	}
	if (secure_runner_open(&runner, 16) != 0)
		goto done;
	if (key)
		rc = secure_runner_provision_key(&runner, (uint32_t)o->key_id, key, key_len);
	else
		rc = secure_runner_delete_key(&runner, (uint32_t)o->delete_key_id);
	runner.ops->close(&runner);
	if (rc == 0)
		printf("key %s: %zu\n", key ? "provisioned" : "deleted",
		       key ? o->key_id : o->delete_key_id);
done:
	if (key) {
		memset(key, 0, key_len); /* the copy in this process; the file is the caller's */
		free(key);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct labels labels = { 0 };
	struct runner runner = { 0 };
	uint8_t *model = NULL;
	size_t model_len = 0;
	int rc = 1;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	if (o.provision_key_path || o.delete_key_id)
		return administer_key(&o) == 0 ? 0 : 1;
	model = file_read_all(o.model_path, &model_len);
	if (!model)
		goto done;
	if (o.labels_path && labels_load(o.labels_path, &labels) != 0)
		goto done;
	if ((o.normal_world ? normal_runner_open(&runner) :
			      secure_runner_open(&runner, o.chunk_bytes)) != 0)
		goto done;
	if (classify(&o, &runner, model, model_len, o.labels_path ? &labels : NULL) == 0)
		rc = 0;
	runner.ops->close(&runner);
done:
	labels_free(&labels);
	free(model);
	return rc;
}
