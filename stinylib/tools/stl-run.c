/*
 * stl-run: load a .tzm model and run it on raw float32 input files, writing the raw float32
 * outputs. A test tool for the aarch64 build under qemu-aarch64 (it uses stdio and malloc, which
 * the library itself does not).
 *
 *   stl-run [--runs N] [--chunks N | --threads N] MODEL.tzm INPUT.f32... OUTPUT.f32...
 *
 * one INPUT per model input and one OUTPUT per model output, each in the model's order. --runs N
 * (default 1) runs the loaded model N times: `invoke engine.bench-aarch64` counts the instructions of 4
 * runs and of 1 to get those of one inference.
 *
 * --chunks N runs the model in chunks as N participants would (stinylib.h: stl_run_begin, every
 * op's stl_op_chunks(N) chunks, stl_run_end), one after another and in reverse order, chunk 0 with
 * the arena's scratch and the others with a second buffer poisoned (NaN) before each chunk, so
 * that no chunk can depend on another's; it prints "split S of O ops" (S: the ops in more than one
 * chunk). The outputs must be stl_run's bit for bit.
 *
 * --threads N runs it as a team (stl_team_work) of N threads: this one and N - 1 POSIX threads,
 * up to 4 N chunks per op. The outputs must again be stl_run's bit for bit.
 *
 * Exit status: 0 on success, 1 on a usage or I/O error, 2 when the engine refuses the model or run.
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stinylib.h"

static void *alloc16(size_t n)
{
	void *p = NULL;
	return posix_memalign(&p, 16, n ? n : 16) == 0 ? p : NULL;
}

/* Read a whole file into a 16-byte-aligned buffer; returns NULL (and says why) on failure. */
static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "stl-run: cannot open %s\n", path);
		return NULL;
	}
	void *buf = NULL;
	long n = -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = alloc16((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	if (!buf)
		fprintf(stderr, "stl-run: cannot read %s\n", path);
	*len = (size_t)n;
	return buf;
}

static int refused(const struct stl_model *m, const char *what)
{
	fprintf(stderr, "stl-run: %s: %s: %s (op %d, tensor %d)\n", what, stl_status_name(m->error.status),
		m->error.reason, (int)m->error.op, (int)m->error.tensor);
	return 2;
}

/* One run in chunks (--chunks); the counted split ops in *split. */
static int run_in_chunks(struct stl_model *m, void *arena, const struct stl_input *in, uint32_t n_in,
			 const struct stl_output *out, uint32_t n_out, uint32_t participants, uint32_t *split)
{
	const uint32_t scratch_bytes = stl_chunk_scratch_bytes(m);
	float *scratch = alloc16(scratch_bytes);
	if (!scratch) {
		fprintf(stderr, "stl-run: out of memory\n");
		return 1;
	}
	if (stl_run_begin(m, arena, stl_arena_bytes(m), in, n_in) != STL_OK)
		return refused(m, "run_begin");
	*split = 0;
	for (uint32_t s = 0; s < stl_n_ops(m); s++) {
		const uint32_t n = stl_op_chunks(m, s, participants);
		*split += n > 1;
		for (uint32_t c = n; c-- > 0;) {
			memset(scratch, 0xff, scratch_bytes);
			if (stl_op_chunk(m, arena, s, c, n, c ? scratch : NULL) != STL_OK) {
				fprintf(stderr, "stl-run: stl_op_chunk refused op %u chunk %u of %u\n", (unsigned)s,
					(unsigned)c, (unsigned)n);
				return 2;
			}
		}
	}
	free(scratch);
	if (stl_run_end(m, arena, stl_arena_bytes(m), out, n_out) != STL_OK)
		return refused(m, "run_end");
	return 0;
}

/* A team participant on its own thread. */
struct participant {
	struct stl_team *team;
	void *scratch;
	enum stl_status status;
	pthread_t thread;
};

static void *participate(void *arg)
{
	struct participant *p = arg;
	p->status = stl_team_work(p->team, p->scratch, NULL, NULL);
	return NULL;
}

/* One run as a team of `threads` (--threads): participant 0 is this thread, with the arena's scratch. */
static int run_as_team(struct stl_model *m, void *arena, const struct stl_input *in, uint32_t n_in,
		       const struct stl_output *out, uint32_t n_out, uint32_t threads)
{
	struct participant *p = calloc(threads, sizeof *p);
	uint32_t *counters = alloc16(stl_team_counter_bytes(m));
	struct stl_team team;
	if (!p || !counters) {
		fprintf(stderr, "stl-run: out of memory\n");
		return 1;
	}
	if (stl_run_begin(m, arena, stl_arena_bytes(m), in, n_in) != STL_OK)
		return refused(m, "run_begin");
	if (stl_team_arm(&team, m, arena, counters, 4 * threads) != STL_OK) {
		fprintf(stderr, "stl-run: stl_team_arm refused\n");
		return 2;
	}
	for (uint32_t i = 0; i < threads; i++) {
		p[i].team = &team;
		if (i && !(p[i].scratch = alloc16(stl_chunk_scratch_bytes(m)))) {
			fprintf(stderr, "stl-run: out of memory\n");
			return 1;
		}
		if (i && pthread_create(&p[i].thread, NULL, participate, &p[i]) != 0) {
			fprintf(stderr, "stl-run: cannot start thread %u\n", (unsigned)i);
			return 1;
		}
	}
	participate(&p[0]);
	int failed = p[0].status != STL_OK;
	for (uint32_t i = 1; i < threads; i++) {
		pthread_join(p[i].thread, NULL);
		failed |= p[i].status != STL_OK;
		free(p[i].scratch);
	}
	free(p);
	free(counters);
	if (failed) {
		fprintf(stderr, "stl-run: a participant of the team failed\n");
		return 2;
	}
	if (stl_run_end(m, arena, stl_arena_bytes(m), out, n_out) != STL_OK)
		return refused(m, "run_end");
	return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "stl-run: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long runs = 1, chunks = 0, threads = 0;
	for (; argc > 2 && strncmp(argv[1], "--", 2) == 0; argc -= 2, argv += 2) {
		long *option = strcmp(argv[1], "--runs") == 0	 ? &runs
			       : strcmp(argv[1], "--chunks") == 0 ? &chunks
			       : strcmp(argv[1], "--threads") == 0 ? &threads
								  : NULL;
		if (!option)
			break;
		*option = strtol(argv[2], NULL, 10);
	}
	if (argc < 4 || runs < 1 || chunks < 0 || chunks > 1024 || threads < 0 || threads > 64 || (chunks && threads)) {
		fprintf(stderr, "usage: stl-run [--runs N] [--chunks N (1 to 1024) | --threads N (1 to 64)] MODEL.tzm "
				"INPUT.f32... OUTPUT.f32...\n");
		return 1;
	}
	size_t model_len;
	void *model = read_file(argv[1], &model_len);
	if (!model)
		return 1;
	struct stl_model m;
	if (stl_load(&m, model, model_len) != STL_OK)
		return refused(&m, "load");
	const uint32_t n_in = stl_n_inputs(&m), n_out = stl_n_outputs(&m);
	if ((uint32_t)argc != 2 + n_in + n_out) {
		fprintf(stderr, "stl-run: %s has %u inputs and %u outputs: give one file for each\n", argv[1],
			(unsigned)n_in, (unsigned)n_out);
		return 1;
	}
	struct stl_input *in = calloc(n_in, sizeof *in);
	struct stl_output *out = calloc(n_out, sizeof *out);
	void *arena = alloc16(stl_arena_bytes(&m));
	if (!in || !out || !arena) {
		fprintf(stderr, "stl-run: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < n_in; i++)
		if (!(in[i].data = read_file(argv[2 + i], &in[i].len)))
			return 1;
	for (uint32_t o = 0; o < n_out; o++) {
		struct stl_io_desc d;
		stl_output_desc(&m, o, &d);
		out[o].len = d.bytes;
		if (!(out[o].data = alloc16(d.bytes))) {
			fprintf(stderr, "stl-run: out of memory\n");
			return 1;
		}
	}
	for (long r = 0; r < runs; r++) {
		uint32_t split = 0;
		if (chunks) {
			const int st = run_in_chunks(&m, arena, in, n_in, out, n_out, (uint32_t)chunks, &split);
			if (st)
				return st;
			if (r == 0)
				printf("split %u of %u ops\n", (unsigned)split, (unsigned)stl_n_ops(&m));
		} else if (threads) {
			const int st = run_as_team(&m, arena, in, n_in, out, n_out, (uint32_t)threads);
			if (st)
				return st;
		} else if (stl_run(&m, arena, stl_arena_bytes(&m), in, n_in, out, n_out) != STL_OK) {
			return refused(&m, "run");
		}
	}
	for (uint32_t o = 0; o < n_out; o++)
		if (write_file(argv[2 + n_in + o], out[o].data, out[o].len))
			return 1;
	return 0;
}
