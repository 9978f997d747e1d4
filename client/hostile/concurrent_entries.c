#define _POSIX_C_SOURCE 200809L /* pthreads and clock_gettime under -std=c99 */
#include "concurrent_entries.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ta_link.h"
#include "tzinfer_ta_test.h"

#define ENTRIES 2

struct entry {
	struct ta_link link;
	uint32_t cmd, wait_ms;
	TEEC_Result res;
	uint32_t waited;
	long ms; /* how long the call took */
};

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void *call(void *arg)
{
	struct entry *e = arg;
	TEEC_Operation op = { 0 };
	long start = now_ms();

	op.paramTypes = e->cmd == TZI_CMD_TEST_RENDEZVOUS ?
		TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE) :
		TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = e->wait_ms;
	e->res = ta_link_call(&e->link, e->cmd, &op);
	e->waited = op.params[1].value.a;
	e->ms = now_ms() - start;
	return NULL;
}

/* The wait in ms (1 ... TZI_TEST_RENDEZVOUS_MAX_MS), or 0 with a diagnostic. */
static uint32_t parse_wait(const char *flag, const char *text)
{
	char *end = NULL;
	unsigned long ms = strtoul(text, &end, 10);

	if (!*text || *end || !ms || ms > TZI_TEST_RENDEZVOUS_MAX_MS) {
		fprintf(stderr, "tzinfer-hostile: %s %s: give the wait in ms, 1..%u\n", flag, text,
			TZI_TEST_RENDEZVOUS_MAX_MS);
		return 0;
	}
	return (uint32_t)ms;
}

/* cmds[i] on a session and a thread of its own each, all at once; one "entry" line each.
 * 0, or -1 when the sessions or threads could not be set up. */
static int run_entries(struct entry entries[ENTRIES], const uint32_t cmds[ENTRIES], uint32_t wait)
{
	static const TEEC_UUID test_ta = TZI_TEST_TA_UUID;
	pthread_t threads[ENTRIES];
	int opened = 0, started = 0;

	memset(entries, 0, ENTRIES * sizeof(*entries));
	/* Every session first, so that the calls start as close together as they can. */
	for (; opened < ENTRIES; opened++) {
		entries[opened].cmd = cmds[opened];
		entries[opened].wait_ms = wait;
		if (ta_link_open(&entries[opened].link, &test_ta, TZI_TEST_TA_UUID_STR,
				 TEEC_LOGIN_PUBLIC))
			break;
	}
	for (; opened == ENTRIES && started < ENTRIES; started++)
		if (pthread_create(&threads[started], NULL, call, &entries[started]))
			break;
	for (int i = 0; i < started; i++) {
		pthread_join(threads[i], NULL);
		printf("entry %d: TEEC 0x%08x origin %u waited %u in %ld ms\n", i, entries[i].res,
		       entries[i].link.origin, entries[i].waited, entries[i].ms);
	}
	for (int i = 0; i < opened; i++)
		ta_link_close(&entries[i].link);
	if (started < ENTRIES) {
		fprintf(stderr, "tzinfer-hostile: could not start %d entries\n", ENTRIES);
		return -1;
	}
	return 0;
}

int concurrent_rendezvous(const char *wait_ms)
{
	static const uint32_t cmds[ENTRIES] = { TZI_CMD_TEST_RENDEZVOUS, TZI_CMD_TEST_RENDEZVOUS };
	struct entry entries[ENTRIES];
	uint32_t wait = parse_wait("--rendezvous", wait_ms);
	int ok = 0;

	if (!wait || run_entries(entries, cmds, wait))
		return 2;
	/* Both met, and exactly one waited for the other: they were inside the TA at once. */
	ok = entries[0].res == TEEC_SUCCESS && entries[1].res == TEEC_SUCCESS &&
	     entries[0].waited + entries[1].waited == 1;
	printf("rendezvous: %s\n", ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}

int concurrent_panic_beside(const char *wait_ms)
{
	static const uint32_t cmds[ENTRIES] = { TZI_CMD_TEST_RENDEZVOUS, TZI_CMD_TEST_PANIC_BESIDE };
	struct entry entries[ENTRIES];
	uint32_t wait = parse_wait("--panic-beside", wait_ms);
	int ok = 0;

	if (!wait || run_entries(entries, cmds, wait))
		return 2;
	/* Both see the dead TA, and the waiting entry left long before its own deadline. */
	ok = entries[0].res == TEEC_ERROR_TARGET_DEAD && entries[1].res == TEEC_ERROR_TARGET_DEAD &&
	     entries[0].ms < (long)wait / 2;
	printf("panic beside a waiting entry: %s\n", ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}

int concurrent_open_session(const char *uuid)
{
	TEEC_UUID ta = { 0 };
	TEEC_Context ctx;
	TEEC_Session session;
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;
	int n = 0;

	if (sscanf(uuid, "%8x-%4hx-%4hx-%2hhx%2hhx-%2hhx%2hhx%2hhx%2hhx%2hhx%2hhx%n", &ta.timeLow,
		   &ta.timeMid, &ta.timeHiAndVersion, &ta.clockSeqAndNode[0], &ta.clockSeqAndNode[1],
		   &ta.clockSeqAndNode[2], &ta.clockSeqAndNode[3], &ta.clockSeqAndNode[4],
		   &ta.clockSeqAndNode[5], &ta.clockSeqAndNode[6], &ta.clockSeqAndNode[7], &n) != 11 ||
	    (size_t)n != strlen(uuid)) {
		fprintf(stderr, "tzinfer-hostile: --open-session %s: give a TA UUID, "
			"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\n", uuid);
		return 2;
	}
	res = TEEC_InitializeContext(NULL, &ctx);
	if (res == TEEC_SUCCESS) {
		res = TEEC_OpenSession(&ctx, &session, &ta, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin);
		if (res == TEEC_SUCCESS)
			TEEC_CloseSession(&session);
		TEEC_FinalizeContext(&ctx);
	}
	printf("open-session %s: TEEC 0x%08x origin %u\n", uuid, res, origin);
	return res == TEEC_SUCCESS ? 0 : 1;
}
