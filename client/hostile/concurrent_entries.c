#define _POSIX_C_SOURCE 200809L /* pthreads under -std=c99 */
#include "concurrent_entries.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ta_link.h"
#include "tzinfer_ta_test.h"

#define ENTRIES 2

struct entry {
	struct ta_link link;
	uint32_t wait_ms;
	TEEC_Result res;
	uint32_t waited;
};

static void *call_rendezvous(void *arg)
{
	struct entry *e = arg;
	TEEC_Operation op = { 0 };

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = e->wait_ms;
	e->res = ta_link_call(&e->link, TZI_CMD_TEST_RENDEZVOUS, &op);
	e->waited = op.params[1].value.a;
	return NULL;
}

int concurrent_rendezvous(const char *wait_ms)
{
	static const TEEC_UUID test_ta = TZI_TEST_TA_UUID;
	struct entry entries[ENTRIES];
	pthread_t threads[ENTRIES];
	char *end = NULL;
	unsigned long ms = strtoul(wait_ms, &end, 10);
	int opened = 0, started = 0, met = 0, waited = 0;

	if (!*wait_ms || *end || !ms || ms > TZI_TEST_RENDEZVOUS_MAX_MS) {
		fprintf(stderr, "tzinfer-hostile: --rendezvous %s: give the wait in ms, 1..%u\n",
			wait_ms, TZI_TEST_RENDEZVOUS_MAX_MS);
		return 2;
	}
	memset(entries, 0, sizeof(entries));
	/* Both sessions first, so that the two calls start as close together as they can. */
	for (; opened < ENTRIES; opened++) {
		entries[opened].wait_ms = (uint32_t)ms;
		if (ta_link_open(&entries[opened].link, &test_ta, TZI_TEST_TA_UUID_STR,
				 TEEC_LOGIN_PUBLIC))
			break;
	}
	for (; opened == ENTRIES && started < ENTRIES; started++)
		if (pthread_create(&threads[started], NULL, call_rendezvous, &entries[started]))
			break;
	for (int i = 0; i < started; i++) {
		pthread_join(threads[i], NULL);
		printf("entry %d: TEEC 0x%08x origin %u waited %u\n", i, entries[i].res,
		       entries[i].link.origin, entries[i].waited);
		met += entries[i].res == TEEC_SUCCESS;
		waited += entries[i].res == TEEC_SUCCESS && entries[i].waited;
	}
	for (int i = 0; i < opened; i++)
		ta_link_close(&entries[i].link);
	if (started < ENTRIES) {
		fprintf(stderr, "tzinfer-hostile: could not start %d entries\n", ENTRIES);
		return 2;
	}
	/* Exactly one waited for the other: they were inside the TA at the same time. */
	printf("rendezvous: %s\n", met == ENTRIES && waited == 1 ? "ok" : "FAIL");
	return met == ENTRIES && waited == 1 ? 0 : 1;
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
