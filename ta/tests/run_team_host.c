/*
 * ta/run_team.c on the host (tests/engine/test_run_team.py): RUN_WORK's compute with the engine
 * (and run_deadline.c) built natively and the two syscalls faked (tests/stub/tee_internal_api.h):
 * a clock the test moves, a cancellation flag it sets.
 *
 *   run_team_host MODEL.tzm    one "case NAME ok|FAIL detail" line per case; exit 0 if all ok
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_team.h"

/* The fake syscalls: the clock advances by clock_step_ms at every reading. */
static uint32_t clock_ms, clock_step_ms;
static bool cancelled;

void TEE_GetSystemTime(TEE_Time *t)
{
	uint32_t now = __atomic_fetch_add(&clock_ms, clock_step_ms, __ATOMIC_RELAXED);

	t->seconds = now / 1000u;
	t->millis = now % 1000u;
}

bool TEE_GetCancellationFlag(void)
{
	return __atomic_load_n(&cancelled, __ATOMIC_RELAXED);
}

struct fixture {
	struct stl_model m;
	void *arena, *counters;
	struct stl_input *in;
	struct stl_output *out, *ref;
	uint32_t n_in, n_out;
};

static int failures;

static void report(const char *name, int ok, const char *detail)
{
	printf("case %s %s %s\n", name, ok ? "ok" : "FAIL", detail);
	failures += !ok;
}

static void *alloc16(size_t n)
{
	void *p = NULL;

	return posix_memalign(&p, 16, n ? n : 16) ? NULL : memset(p, 0, n ? n : 16);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *data = NULL;
	long n = 0;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
	    !(data = alloc16((size_t)n)) || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return data;
}

static struct stl_output *outputs(struct fixture *f)
{
	struct stl_output *o = calloc(f->n_out, sizeof(*o));
	struct stl_io_desc d;

	for (uint32_t i = 0; i < f->n_out; i++) {
		stl_output_desc(&f->m, i, &d);
		o[i] = (struct stl_output){ alloc16(d.bytes), d.bytes };
	}
	return o;
}

static void setup(struct fixture *f, const char *path)
{
	size_t len = 0;
	void *file = read_file(path, &len);
	struct stl_io_desc d;

	if (stl_load(&f->m, file, len) != STL_OK) {
		fprintf(stderr, "%s does not load\n", path);
		exit(2);
	}
	f->n_in = stl_n_inputs(&f->m);
	f->n_out = stl_n_outputs(&f->m);
	f->arena = alloc16(stl_arena_bytes(&f->m));
	f->counters = alloc16(stl_team_counter_bytes(&f->m));
	f->in = calloc(f->n_in, sizeof(*f->in));
	for (uint32_t i = 0; i < f->n_in; i++) {
		float *x = NULL;

		stl_input_desc(&f->m, i, &d);
		x = alloc16(d.bytes);
		for (size_t k = 0; k < d.bytes / sizeof(float); k++)
			x[k] = (float)((k * 7919u) % 1000u) / 500.0f - 1.0f;
		f->in[i] = (struct stl_input){ x, d.bytes };
	}
	f->ref = outputs(f);
	f->out = outputs(f);
	if (stl_run(&f->m, f->arena, stl_arena_bytes(&f->m), f->in, f->n_in, f->ref, f->n_out) != STL_OK) {
		fprintf(stderr, "stl_run failed\n");
		exit(2);
	}
}

/* Arm a run of the fixture for `participants`, inputs in the arena, within limit_ms (0: none). */
static void arm(struct fixture *f, struct run_team *r, uint32_t participants, uint32_t limit_ms)
{
	if (stl_run_begin(&f->m, f->arena, stl_arena_bytes(&f->m), f->in, f->n_in) != STL_OK ||
	    run_team_arm(r, &f->m, f->arena, f->counters, participants, limit_ms) != TEE_SUCCESS) {
		fprintf(stderr, "cannot arm the run\n");
		exit(2);
	}
}

/* The run's outputs are stl_run's, bit for bit. */
static int same_outputs(struct fixture *f)
{
	if (stl_run_end(&f->m, f->arena, stl_arena_bytes(&f->m), f->out, f->n_out) != STL_OK)
		return 0;
	for (uint32_t i = 0; i < f->n_out; i++)
		if (memcmp(f->out[i].data, f->ref[i].data, f->ref[i].len))
			return 0;
	return 1;
}

struct participant {
	struct run_team *r;
	void *scratch;
	TEE_Result res;
	pthread_t thread;
};

static void *participate(void *arg)
{
	struct participant *p = arg;

	p->res = run_team_work(p->r, p->scratch);
	return NULL;
}

/* The first op that splits: where a claimed chunk can be left undone. */
static uint32_t first_split_op(const struct stl_model *m, uint32_t participants)
{
	for (uint32_t s = 0; s < stl_n_ops(m); s++)
		if (stl_op_chunks(m, s, 4u * participants) > 1)
			return s;
	return RUN_TEAM_NO_OP;
}

int main(int argc, char **argv)
{
	struct fixture f;
	struct run_team r;
	struct participant p[3];
	char detail[160];
	TEE_Result res = TEE_SUCCESS;
	uint32_t op = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: run_team_host MODEL.tzm\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	setup(&f, argv[1]);

	/* The owner alone (no worker came): all chunks, RUN's outputs. */
	arm(&f, &r, 1, 0);
	res = run_team_work(&r, NULL);
	snprintf(detail, sizeof(detail), "0x%08x", res);
	report("alone", res == TEE_SUCCESS && run_team_complete(&r) && same_outputs(&f), detail);

	/* A participant that comes after the run is complete (OP-TEE ran the entries in turn). */
	res = run_team_work(&r, alloc16(stl_chunk_scratch_bytes(&f.m)));
	snprintf(detail, sizeof(detail), "0x%08x", res);
	report("late", res == TEE_SUCCESS && run_team_complete(&r), detail);

	/* Three threads at once, the owner with the arena's scratch. */
	arm(&f, &r, 3, 0);
	for (uint32_t i = 0; i < 3; i++) {
		p[i] = (struct participant){ &r, i ? alloc16(stl_chunk_scratch_bytes(&f.m)) : NULL, 0, 0 };
		pthread_create(&p[i].thread, NULL, participate, &p[i]);
	}
	for (uint32_t i = 0; i < 3; i++)
		pthread_join(p[i].thread, NULL);
	snprintf(detail, sizeof(detail), "0x%08x 0x%08x 0x%08x", p[0].res, p[1].res, p[2].res);
	report("three", !p[0].res && !p[1].res && !p[2].res && run_team_complete(&r) && same_outputs(&f),
	       detail);

	/* A chunk claimed and never finished (a participant stuck in it): the others stop after
	 * TZI_TEAM_STALL_MS without progress, naming the op. The clock moves 1 s per reading. */
	arm(&f, &r, 2, 0);
	op = first_split_op(&f.m, 2);
	if (op == RUN_TEAM_NO_OP) {
		report("stall", 0, "the model has no op that splits: give one with a convolution");
	} else {
		r.team.counters[2u * op] = 1; /* chunk 0 of op claimed by nobody that will finish */
		clock_step_ms = 1000;
		res = run_team_work(&r, NULL);
		clock_step_ms = 0;
		snprintf(detail, sizeof(detail), "0x%08x stall_op %u (expected %u) pending %u", res,
			 r.stall_op, op, run_team_pending_op(&r));
		report("stall", res == TEE_ERROR_BUSY && r.stall_op == op && !run_team_complete(&r) &&
		       run_team_pending_op(&r) == op, detail);
		/* Another participant that comes later leaves at once with the same verdict. */
		res = run_team_work(&r, alloc16(stl_chunk_scratch_bytes(&f.m)));
		snprintf(detail, sizeof(detail), "0x%08x", res);
		report("after-stall", res == TEE_ERROR_BUSY, detail);
	}

	/* Cancellation: seen before the first op, the run stops and is not complete. */
	arm(&f, &r, 2, 0);
	cancelled = true;
	res = run_team_work(&r, NULL);
	cancelled = false;
	snprintf(detail, sizeof(detail), "0x%08x", res);
	report("cancel", res == TEE_ERROR_CANCEL && !run_team_complete(&r), detail);

	/* A time limit: with the clock 1 s further at each reading, a 5 s limit passes after a few
	 * ops; the participant stops there, and a later one leaves at once with the same verdict. */
	arm(&f, &r, 2, 5000);
	clock_step_ms = 1000;
	res = run_team_work(&r, NULL);
	clock_step_ms = 0;
	snprintf(detail, sizeof(detail), "0x%08x pending op %u of %u", res, run_team_pending_op(&r),
		 stl_n_ops(&f.m));
	report("timeout", res == TEE_ERROR_TIMEOUT && !run_team_complete(&r) &&
	       r.stall_op == RUN_TEAM_NO_OP && run_team_work(&r, NULL) == TEE_ERROR_TIMEOUT, detail);

	/* The same limit with a clock that stays below it: the run completes. */
	arm(&f, &r, 1, 5000);
	res = run_team_work(&r, NULL);
	snprintf(detail, sizeof(detail), "0x%08x", res);
	report("in-time", res == TEE_SUCCESS && run_team_complete(&r) && same_outputs(&f), detail);

	/* After the stall, the cancellation and the timeout, the next run is whole again. */
	arm(&f, &r, 1, 0);
	res = run_team_work(&r, NULL);
	snprintf(detail, sizeof(detail), "0x%08x", res);
	report("next", res == TEE_SUCCESS && run_team_complete(&r) && same_outputs(&f), detail);
	return failures ? 1 : 0;
}
