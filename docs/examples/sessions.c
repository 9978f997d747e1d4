/*
 * libtzinfer example (docs/integrating.md): one thread and one TA session per model, each model
 * loaded once and run on its input; optionally a run cancelled first.
 *
 *   tzinfer-example [--cancel] MODEL[@KEY_ID] INPUT.f32 OUTPUT.f32 [MODEL[@KEY_ID] ...]
 *
 * INPUT.f32 holds the model's one input as raw little-endian float32 (x.astype("<f4").tofile());
 * OUTPUT.f32 receives every output, in the model's order, the same way. @KEY_ID: the model must
 * be a package sealed for that key. --cancel: each session first starts a run and cancels it
 * from a second thread (tzi_cancel), then runs again.
 *
 * Build: cc -std=c99 -pthread sessions.c $(pkg-config --cflags --libs tzinfer)
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tzinfer.h>

#define MAX_SESSIONS 8

struct job {
	const char *model, *input, *output;
	uint32_t key_id;
	int cancel;
	int index;
	tzi_session *session;
	volatile int running; /* the run to cancel has started */
	volatile int done;    /* ... and has returned */
	int failed;
	char report[1024];
};

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* The canceller: once the run is under way, ask for its cancellation until it returns (the first
 * request may reach OP-TEE before the run reaches the TA). */
static void *cancel_run(void *arg)
{
	struct job *j = arg;

	while (!j->running)
		sleep_ms(1);
	while (!j->done) {
		tzi_cancel(j->session);
		sleep_ms(20);
	}
	return NULL;
}

/* The whole file, which must be exactly `want` bytes long; NULL otherwise. */
static void *read_file(const char *path, size_t want)
{
	FILE *f = fopen(path, "rb");
	void *data = malloc(want + 1);
	size_t got = f && data ? fread(data, 1, want + 1, f) : 0;

	if (f)
		fclose(f);
	if (got != want) {
		free(data);
		return NULL;
	}
	return data;
}

/* One session: load, describe, (cancel a run,) run, save, report. */
static void *session_main(void *arg)
{
	struct job *j = arg;
	struct tzi_tensor_info in_info, out_info;
	struct tzi_input in;
	struct tzi_output out[16];
	struct tzi_stats stats;
	uint32_t n_out = 0;
	size_t at = 0, total = 0;
	void *input = NULL;
	float *outputs = NULL;
	tzi_status st = TZI_OK;
	const char *step = "open";
	int len = 0;

	j->failed = 1;
	if ((st = tzi_open(&j->session)) != TZI_OK)
		goto done;
	step = "load";
	if ((st = tzi_load_file(j->session, j->model, j->key_id)) != TZI_OK)
		goto done;
	step = "describe";
	n_out = tzi_output_count(j->session);
	if (tzi_input_count(j->session) != 1 || n_out > 16) {
		snprintf(j->report, sizeof(j->report), "session %d: %s: this example takes models with "
			 "one input and at most 16 outputs", j->index, j->model);
		return NULL;
	}
	tzi_input_info(j->session, 0, &in_info);
	for (uint32_t o = 0; o < n_out; o++) {
		tzi_output_info(j->session, o, &out_info);
		total += out_info.bytes;
	}
	input = read_file(j->input, in_info.bytes);
	outputs = malloc(total);
	if (!input || !outputs) {
		snprintf(j->report, sizeof(j->report), "session %d: %s must hold exactly %zu bytes "
			 "(input '%s')", j->index, j->input, in_info.bytes, in_info.name);
		goto done_quietly;
	}
	in = (struct tzi_input){ in_info.name, input, in_info.bytes };
	for (uint32_t o = 0; o < n_out; o++) {
		tzi_output_info(j->session, o, &out_info);
		out[o] = (struct tzi_output){ out_info.name, (char *)outputs + at, out_info.bytes };
		at += out_info.bytes;
	}
	len = snprintf(j->report, sizeof(j->report), "session %d: model %s: input '%s' %zu bytes, "
		       "%u outputs", j->index, j->model, in_info.name, in_info.bytes, n_out);
	if (j->cancel) {
		pthread_t canceller;

		step = "cancelled run";
		pthread_create(&canceller, NULL, cancel_run, j);
		j->running = 1;
		st = tzi_run(j->session, &in, 1, out, n_out);
		j->done = 1;
		pthread_join(canceller, NULL);
		len += snprintf(j->report + len, sizeof(j->report) - len, "; cancelled run: %s",
				tzi_status_name(st));
		if (st != TZI_E_CANCELLED)
			goto done;
	}
	step = "run";
	if ((st = tzi_run(j->session, &in, 1, out, n_out)) != TZI_OK)
		goto done;
	step = "stats";
	if ((st = tzi_get_stats(j->session, &stats)) != TZI_OK)
		goto done;
	len += snprintf(j->report + len, sizeof(j->report) - len, "; run: TZI_OK; secure memory "
			"%llu bytes (model %llu + arena %llu); inference ms %.3f; round trip ms %.3f",
			(unsigned long long)(stats.model_bytes + stats.arena_bytes),
			(unsigned long long)stats.model_bytes, (unsigned long long)stats.arena_bytes,
			stats.last_run_us / 1e3, stats.last_round_trip_ms);
	{
		FILE *f = fopen(j->output, "wb");

		j->failed = !f || fwrite(outputs, 1, total, f) != total;
		if (f && fclose(f) != 0)
			j->failed = 1;
		if (j->failed)
			snprintf(j->report + len, sizeof(j->report) - len, "; cannot write %s", j->output);
	}
	goto done_quietly;
done:
	snprintf(j->report + len, sizeof(j->report) - len, "%ssession %d: %s failed: %s: %s",
		 len ? "; " : "", j->index, step, tzi_status_name(st), tzi_errmsg(j->session));
done_quietly:
	tzi_close(j->session);
	free(input);
	free(outputs);
	return NULL;
}

int main(int argc, char **argv)
{
	struct job jobs[MAX_SESSIONS];
	pthread_t threads[MAX_SESSIONS];
	int n = 0, cancel = 0, first = 1, failed = 0;

	if (argc > 1 && !strcmp(argv[1], "--cancel"))
		cancel = first = 2;
	if (argc - first < 3 || (argc - first) % 3 || (argc - first) / 3 > MAX_SESSIONS) {
		fprintf(stderr, "usage: tzinfer-example [--cancel] MODEL[@KEY_ID] INPUT.f32 OUTPUT.f32 "
			"[MODEL[@KEY_ID] INPUT.f32 OUTPUT.f32]... (at most %d models)\n", MAX_SESSIONS);
		return 2;
	}
	printf("libtzinfer %s\n", tzi_version());
	for (int a = first; a < argc; a += 3, n++) {
		char *at = strchr(argv[a], '@');

		memset(&jobs[n], 0, sizeof(jobs[n]));
		jobs[n] = (struct job){ .model = argv[a], .input = argv[a + 1], .output = argv[a + 2],
					.key_id = at ? (uint32_t)strtoul(at + 1, NULL, 10) : TZI_KEY_ID_ANY,
					.cancel = cancel != 0, .index = n };
		if (at)
			*at = '\0';
		pthread_create(&threads[n], NULL, session_main, &jobs[n]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		printf("%s\n", jobs[i].report);
		failed |= jobs[i].failed;
	}
	return failed;
}
