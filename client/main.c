/*
 * tzinfer-run: run a .tzm model on its inputs inside OP-TEE (or, for comparison, with the same
 * engine in the normal world) and print its inputs and outputs, the top-k of its first output,
 * the memory used and the timings.
 *
 *   tzinfer-run MODEL.tzm [INPUT.npy | --input NAME=FILE.npy...] [--top K] [--labels FILE]
 *               [--output OUT.npz|OUT.npy] [--repeat N] [--world secure|normal]
 *               [--reload-each-run] [--chunk BYTES] [--key-id ID]
 *               [--timeout SECONDS] [--attest NONCE --report FILE] [--threads N]
 *   tzinfer-run MODEL.tzm --describe                  (its inputs and outputs only)
 *   tzinfer-run MODEL.tzm --frames DIR|LIST|- [--output-dir DIR]
 *                                                     (many inputs, the model loaded once)
 *
 *   tzinfer-run --provision-key KEYFILE --key-id ID [--replace]  (store a model key in the TA)
 *   tzinfer-run --delete-key ID                       (remove it, e.g. after rotation)
 *   tzinfer-run --lock-keys                           (no key changes ever again)
 *   tzinfer-run --device-key FILE                     (the attestation public key)
 *
 * Output lines are "key: value" so that scripts can read them (tests/qemu, invoke qemu.bench).
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel_watch.h"
#include "clock.h"
#include "diag.h"
#include "file_io.h"
#include "frames.h"
#include "inputs.h"
#include "labels.h"
#include "npy.h"
#include "runner.h"
#include "topk.h"
#include "tzinfer.h"
#include "tzinfer_ta.h"

#define MAX_TOP 100
#define MAX_INPUTS 255 /* the format's cap on a model's inputs */
/* Exit status after Ctrl-C or SIGTERM, as a shell reports a death by SIGINT. */
#define EXIT_INTERRUPTED 130

/* What tzinfer-run does instead of a model run: the TA's commands that need no model. */
enum admin {
	ADMIN_NONE,
	ADMIN_PROVISION_KEY,
	ADMIN_DELETE_KEY,
	ADMIN_LOCK_KEYS,
	ADMIN_DEVICE_KEY,
};

struct options {
	const char *model_path, *labels_path, *output_path;
	const char *frames, *output_dir; /* --frames SRC: many inputs; one result each into DIR */
	char *inputs[MAX_INPUTS]; /* INPUT.npy, or NAME=FILE.npy per --input */
	size_t n_inputs;
	const char *key_path, *device_key_path, *report_path;
	enum admin admin;
	size_t top, repeat, chunk_bytes, key_id, delete_key_id, admin_gid, threads;
	double timeout_s;
	bool normal_world, reload_each_run, describe, replace, have_admin_gid, attest;
	uint8_t nonce[TZI_NONCE_BYTES];
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
		"                   [--timeout SECONDS] [--attest NONCE --report FILE] [--threads N]\n"
		"       tzinfer-run MODEL.tzm --describe\n"
		"       tzinfer-run MODEL.tzm --frames DIR|LIST|- [--output-dir DIR] [options]\n"
		"  MODEL.tzm          model converted with `tzinfer convert`\n"
		"  INPUT.npy          preprocessed input tensor, float32 (np.save), of a model with one input\n"
		"  --input NAME=F.npy the model's input NAME; give one for each input\n"
		"  --describe         print the model's inputs and outputs and stop\n"
		"  --frames SRC       run every input of SRC with the model loaded once: a directory\n"
		"                     (each *.npy, in name order), a list file (a line per frame:\n"
		"                     FILE.npy or NAME=FILE.npy for each input), or - (.npy files one\n"
		"                     after another on stdin); one 'result' line per frame\n"
		"  --output-dir DIR   with --frames: every output of each frame into DIR/LABEL.npz\n"
		"  --key-id ID        the model must be a package sealed for key ID\n"
		"  --top K            print the K best classes of the first output (default 5, at most %d)\n"
		"  --labels FILE      class names, one per line (line i = class i)\n"
		"  --output OUT.npz   save every output, by name (np.load(OUT)[name]); OUT.npy: the only\n"
		"                     output of a model with one\n"
		"  --repeat N         run N inferences and report the median times (default 1)\n"
		"  --world W          secure: in the OP-TEE TA (default); normal: the same engine in\n"
		"                     this process, unprotected (benchmark baseline)\n"
		"  --reload-each-run  send the model to the TA again before every inference (the\n"
		"                     SmartZone-style baseline of invoke qemu.bench)\n"
		"  --chunk BYTES      shared-memory chunk for the model upload (default %u)\n"
		"  --timeout SECONDS  stop an inference in the TA that runs longer (Ctrl-C cancels too)\n"
		"  --threads N        run each inference on N cores in the TA (default 1; at most the\n"
		"                     TA's worker slots, ta_worker_slots in the board's memory map)\n"
		"  --attest NONCE     have the TA sign model, input and output hashes with this\n"
		"                     nonce (64 hex digits) after the last inference; needs --report\n"
		"  --report FILE      where the signed report goes (check it: tzinfer verify)\n"
		"       tzinfer-run --provision-key KEYFILE --key-id ID [--replace] | --delete-key ID\n"
		"                   | --lock-keys | --device-key FILE   [--admin-group GID]\n"
		"  --provision-key F  store the 32-byte model key in F in the TA's secure storage\n"
		"                     under ID (1 ... 4294967295); sealed models name it by ID\n"
		"  --replace          overwrite the key ID already has (refused without it)\n"
		"  --delete-key ID    remove the key stored under ID\n"
		"  --lock-keys        refuse every later key change on this device, for good\n"
		"                     (until a factory reset: docs/security.md)\n"
		"  --admin-group GID  log in to the TA as group GID (TEEC_LOGIN_GROUP) instead of\n"
		"                     as this user; key management needs root or the group the\n"
		"                     TA was built with\n"
		"  --device-key FILE  write the TA's attestation public key (65-byte SEC1 point)\n",
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

static int parse_seconds(const char *opt, const char *text, double *out)
{
	char *end = NULL;
	double v = strtod(text, &end);

	if (!*text || *end || !(v > 0 && v <= 86400)) {
		diag_error("%s %s: expected seconds, more than 0 and at most 86400", opt, text);
		return -1;
	}
	*out = v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_nonce(const char *text, uint8_t nonce[TZI_NONCE_BYTES])
{
	size_t i = 0;

	if (strlen(text) != 2 * TZI_NONCE_BYTES) {
		diag_error("--attest %s: expected a nonce of %u hex digits (e.g. from `tzinfer "
			   "nonce`)", text, 2 * TZI_NONCE_BYTES);
		return -1;
	}
	for (i = 0; i < TZI_NONCE_BYTES; i++) {
		int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			diag_error("--attest %s: not hexadecimal", text);
			return -1;
		}
		nonce[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Exactly one administration command, alone: 0, or -1 with a diagnostic. */
static int check_admin(const struct options *o, int positional, int admin_commands)
{
	if (admin_commands > 1 || positional || o->attest || o->report_path ||
	    (o->admin == ADMIN_PROVISION_KEY) != (o->key_id != 0) ||
	    (o->replace && o->admin != ADMIN_PROVISION_KEY)) {
		diag_error("key administration is --provision-key KEYFILE --key-id ID [--replace], "
			   "--delete-key ID, --lock-keys or --device-key FILE, alone: see "
			   "tzinfer-run --help");
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int admin_commands = 0;
	int i = 0, positional = 0;

	memset(o, 0, sizeof(*o));
	o->top = 5;
	o->repeat = 1;
	o->threads = 1;
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
		} else if (!strcmp(a, "--replace")) {
			o->replace = true;
		} else if (!strcmp(a, "--lock-keys")) {
			o->admin = ADMIN_LOCK_KEYS;
			admin_commands++;
		} else if (a[0] == '-' && a[1] == '-' && !has_value) {
			diag_error("%s needs a value: see tzinfer-run --help", a);
			return -1;
		} else if (!strcmp(a, "--top")) {
			if (parse_size(a, argv[++i], 1, MAX_TOP, &o->top))
				return -1;
		} else if (!strcmp(a, "--repeat")) {
			if (parse_size(a, argv[++i], 1, 100000, &o->repeat))
				return -1;
		} else if (!strcmp(a, "--threads")) {
			if (parse_size(a, argv[++i], 1, 64, &o->threads))
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
			o->admin = ADMIN_DELETE_KEY;
			admin_commands++;
		} else if (!strcmp(a, "--provision-key")) {
			o->key_path = argv[++i];
			o->admin = ADMIN_PROVISION_KEY;
			admin_commands++;
		} else if (!strcmp(a, "--device-key")) {
			o->device_key_path = argv[++i];
			o->admin = ADMIN_DEVICE_KEY;
			admin_commands++;
		} else if (!strcmp(a, "--admin-group")) {
			if (parse_size(a, argv[++i], 0, UINT32_MAX - 1, &o->admin_gid))
				return -1;
			o->have_admin_gid = true;
		} else if (!strcmp(a, "--timeout")) {
			if (parse_seconds(a, argv[++i], &o->timeout_s))
				return -1;
		} else if (!strcmp(a, "--attest")) {
			if (parse_nonce(argv[++i], o->nonce))
				return -1;
			o->attest = true;
		} else if (!strcmp(a, "--report")) {
			o->report_path = argv[++i];
		} else if (!strcmp(a, "--labels")) {
			o->labels_path = argv[++i];
		} else if (!strcmp(a, "--output")) {
			o->output_path = argv[++i];
		} else if (!strcmp(a, "--frames")) {
			o->frames = argv[++i];
		} else if (!strcmp(a, "--output-dir")) {
			o->output_dir = argv[++i];
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
	if (o->admin != ADMIN_NONE)
		return check_admin(o, positional + (int)o->n_inputs, admin_commands);
	if (o->replace || o->have_admin_gid) {
		diag_error("--replace and --admin-group go with key administration: see tzinfer-run "
			   "--help");
		return -1;
	}
	if (o->attest != (o->report_path != NULL) || (o->attest && (o->normal_world || o->describe))) {
		diag_error("--attest NONCE and --report FILE go together, and only with a run in the "
			   "TA (--world secure)");
		return -1;
	}
	if (positional < 1 || (positional == 2 && o->n_inputs > 1)) {
		diag_error("give MODEL.tzm, then INPUT.npy or an --input NAME=FILE.npy for each input: "
			   "see tzinfer-run --help");
		return -1;
	}
	if (o->frames || o->output_dir) {
		if (!o->frames || o->n_inputs || o->describe || o->output_path || o->repeat != 1 ||
		    o->reload_each_run || o->attest) {
			diag_error("--frames SRC [--output-dir DIR] takes no other inputs, --describe, "
				   "--output, --repeat, --reload-each-run or --attest: see tzinfer-run "
				   "--help");
			return -1;
		}
		return 0;
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
	if (o->normal_world && o->threads > 1) {
		diag_error("--threads runs the TA's inference on several cores: drop it or --world normal");
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

/* ATTEST after the last inference, the report to o->report_path; 0 on success. */
static int attest(const struct options *o, struct runner *r)
{
	uint8_t report[TZI_ATTEST_REPORT_BYTES];

	if (secure_runner_attest(r, o->nonce, report) != 0 ||
	    file_write_all(o->report_path, report, sizeof(report)) != 0)
		return -1;
	printf("attestation report: %s\n", o->report_path);
	return 0;
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

		if (cancel_watch_interrupted())
			goto done;
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
	if (o->threads > 1) /* --threads 1 prints what it always did */
		printf("threads: %zu\n", o->threads);
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
	if (o->attest && attest(o, r) != 0)
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

/* --frames: load once, then one run and one "result" line per frame (and DIR/LABEL.npz with
 * --output-dir); the totals at the end. 0 when every frame ran. */
static int stream(const struct options *o, struct runner *r, const uint8_t *model, size_t model_len,
		  const struct labels *labels)
{
	struct model_info info = { 0 };
	struct frames frames = { 0 };
	struct input_buf *in = NULL;
	struct npy_f32 *files = NULL;
	struct output_buf *out = NULL;
	char label[FRAME_LABEL_BYTES];
	double start = clock_ms(), load_ms = 0, run_ms = 0;
	size_t n = 0;
	int rc = -1, got = 0;

	if (r->ops->load(r, o->model_path, model, model_len, &info) != 0)
		return -1;
	load_ms = clock_ms() - start;
	in = calloc(info.n_inputs, sizeof(*in));
	files = calloc(info.n_inputs, sizeof(*files));
	out = calloc(info.n_outputs, sizeof(*out));
	if (!in || !files || !out || frames_open(&frames, o->frames, &info) != 0)
		goto done_frames;
	for (uint32_t k = 0; k < info.n_outputs; k++)
		if (!(out[k] = (struct output_buf){ malloc(info.outputs[k].bytes), info.outputs[k].bytes }).data)
			goto done_frames;
	printf("model: %s\n", o->model_path);
	printf("world: %s\n", r->ops->world);
	printf("mode: stream\n");
	printf("load ms: %.3f (transfer %.3f, verify %.3f)\n", load_ms, info.transfer_ms, info.verify_ms);
	fflush(stdout);
	while (!cancel_watch_interrupted() && (got = frames_next(&frames, in, files, label)) == 1) {
		uint32_t engine_us = 0;
		size_t best = 0;
		double t = clock_ms();
		const char *name = NULL;
		int failed = r->ops->run(r, in, out, &engine_us);

		t = clock_ms() - t;
		for (uint32_t k = 0; k < info.n_inputs; k++)
			free(files[k].file);
		if (failed)
			goto done_frames;
		run_ms += t;
		topk(out[0].data, out[0].bytes / sizeof(float), &best, 1);
		name = labels_get(labels, best);
		printf("result %zu '%s': class %zu score %.6g%s%s; round trip ms %.3f; inference ms %.3f\n",
		       n, label, best, out[0].data[best], name ? " " : "", name ? name : "", t,
		       engine_us / 1e3);
		if (o->output_dir) {
			char path[FRAME_LABEL_BYTES + 4096];

			snprintf(path, sizeof(path), "%s/%s.npz", o->output_dir, label);
			if (save_outputs(path, &info, out) != 0)
				goto done_frames;
		}
		fflush(stdout);
		n++;
	}
	if (got == 0) {
		printf("frames: %zu\n", n);
		printf("frames per second: %.3f (round trips only, the load excluded)\n",
		       run_ms > 0 ? n * 1e3 / run_ms : 0.0);
		r->ops->print_memory(r, &info, stdout);
		rc = 0;
	}
done_frames:
	frames_close(&frames);
	if (rc)
		diag_error("stopped after %zu frames", n);
	r->ops->unload(r);
	for (uint32_t k = 0; out && k < info.n_outputs; k++)
		free(out[k].data);
	free(in);
	free(files);
	free(out);
	return rc;
}

/* The 32-byte key in path, in a new buffer (free it with forget_key), or NULL. */
static uint8_t *read_key(const char *path, size_t *len)
{
	uint8_t *key = file_read_all(path, len);

	if (key && *len != TZI_MODEL_KEY_BYTES) {
		diag_error("%s holds %zu bytes, a model key is %u: create one with `tzinfer keys "
			   "generate`", path, *len, TZI_MODEL_KEY_BYTES);
		explicit_bzero(key, *len);
		free(key);
		return NULL;
	}
	return key;
}

/* Wipe this process's copy of a key (the file is the caller's) in a way the compiler cannot
 * drop as a dead store before free(). */
static void forget_key(uint8_t *key, size_t len)
{
	if (!key)
		return;
	explicit_bzero(key, len);
	free(key);
}

/* One administration command (enum admin) on its own session: 0 on success. */
static int administer(const struct options *o)
{
	struct secure_options opt = { .chunk_bytes = 16, .login_group = o->have_admin_gid,
				      .login_gid = (uint32_t)o->admin_gid };
	struct runner runner = { 0 };
	uint8_t device_key[TZI_DEVICE_KEY_BYTES];
	uint8_t *key = NULL;
	size_t key_len = 0;
	int rc = -1;

	if (o->admin == ADMIN_PROVISION_KEY && !(key = read_key(o->key_path, &key_len)))
		return -1;
	if (secure_runner_open(&runner, &opt) != 0)
		goto done;
	switch (o->admin) {
	case ADMIN_PROVISION_KEY:
		rc = secure_runner_provision_key(&runner, (uint32_t)o->key_id, key, key_len,
						 o->replace);
		if (rc == 0)
			printf("key %s: %zu\n", o->replace ? "replaced" : "provisioned", o->key_id);
		break;
	case ADMIN_DELETE_KEY:
		rc = secure_runner_delete_key(&runner, (uint32_t)o->delete_key_id);
		if (rc == 0)
			printf("key deleted: %zu\n", o->delete_key_id);
		break;
	case ADMIN_LOCK_KEYS:
		rc = secure_runner_lock_keys(&runner);
		if (rc == 0)
			printf("key management locked\n");
		break;
	case ADMIN_DEVICE_KEY:
		rc = secure_runner_device_key(&runner, device_key);
		if (rc == 0)
			rc = file_write_all(o->device_key_path, device_key, sizeof(device_key));
		if (rc == 0)
			printf("device key: %s\n", o->device_key_path);
		break;
	case ADMIN_NONE:
		break;
	}
	runner.ops->close(&runner);
done:
	forget_key(key, key_len);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct labels labels = { 0 };
	struct runner runner = { 0 };
	struct secure_options opt = { 0 };
	uint8_t *model = NULL;
	size_t model_len = 0;
	int rc = 1;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	if (o.admin != ADMIN_NONE)
		return administer(&o) == 0 ? 0 : 1;
	if (cancel_watch_start() != 0)
		return 1;
	opt.chunk_bytes = o.chunk_bytes;
	opt.key_id = (uint32_t)o.key_id;
	opt.run_timeout_s = o.timeout_s;
	opt.attest = o.attest;
	opt.threads = (uint32_t)o.threads;
	model = file_read_all(o.model_path, &model_len);
	if (!model)
		goto done;
	if (o.labels_path && labels_load(o.labels_path, &labels) != 0)
		goto done;
	if ((o.normal_world ? normal_runner_open(&runner) : secure_runner_open(&runner, &opt)) != 0)
		goto done;
	if ((o.frames ? stream(&o, &runner, model, model_len, o.labels_path ? &labels : NULL) :
			classify(&o, &runner, model, model_len, o.labels_path ? &labels : NULL)) == 0)
		rc = 0;
	runner.ops->close(&runner);
done:
	cancel_watch_stop();
	if (cancel_watch_interrupted()) {
		diag_error("interrupted: the TA's work was cancelled and the model unloaded");
		rc = EXIT_INTERRUPTED;
	}
	labels_free(&labels);
	free(model);
	return rc;
}
