#include "wipe_audit.h"

#include <string.h>
#include <tee_internal_api_extensions.h>

#include "tzinfer_ta_test.h"

/* The TA heap, defined by the dev kit's user_ta_header.c (TA_DATA_SIZE bytes). */
extern uint8_t ta_heap[];
extern const size_t ta_heap_size;

/* How far below WIPE_AUDIT's frame the stack search reaches: past the deepest engine call
 * chain (secure_buffer.c) and well inside the 32 KiB TA stack (user_ta_header_defines.h). */
#define STACK_SEARCH_BYTES (12u * 1024u)
/* Left out just below the frame: the search's own frame lives there. */
#define STACK_SEARCH_SKIP 512u

/* More held regions than one session ever releases at once (upload, model, arena, state). */
#define LEDGER_SLOTS 32u

struct held_region {
	const uint8_t *p;
	size_t len;
};

static struct held_region ledger[LEDGER_SLOTS];
static size_t held;

/* What the audits of held regions found since the last WIPE_AUDIT. */
static struct {
	uint32_t regions, dirty_regions;
	uint64_t bytes, nonzero;
} found;

static void audit_and_free(const struct held_region *r)
{
	size_t nonzero = 0;

	for (size_t i = 0; i < r->len; i++)
		nonzero += r->p[i] != 0;
	found.regions++;
	found.bytes += r->len;
	found.nonzero += nonzero;
	found.dirty_regions += nonzero != 0;
	TEE_Free((void *)r->p);
}

void wipe_audit_hold(void *p, size_t len)
{
	if (held == LEDGER_SLOTS) { /* full: the oldest is audited now rather than later */
		audit_and_free(&ledger[0]);
		memmove(ledger, ledger + 1, (LEDGER_SLOTS - 1) * sizeof(ledger[0]));
		held--;
	}
	ledger[held].p = p;
	ledger[held].len = len;
	held++;
}

bool wipe_audit_drain(void)
{
	size_t n = held;

	for (size_t i = 0; i < n; i++)
		audit_and_free(&ledger[i]);
	held = 0;
	return n > 0;
}

void wipe_audit_fill_stale(void *p, size_t len)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)TZI_TEST_STALE_PATTERN[i % TZI_TEST_STALE_BYTES];
}

static uint32_t occurrences(const uint8_t *hay, size_t len, const uint8_t *pat, size_t plen)
{
	uint32_t n = 0;

	for (size_t i = 0; i + plen <= len; i++)
		n += hay[i] == pat[0] && !memcmp(hay + i, pat, plen);
	return n;
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

TEE_Result wipe_audit_cmd(uint32_t types, TEE_Param p[4])
{
	const uint8_t *frame = __builtin_frame_address(0);
	uint32_t t2 = TEE_PARAM_TYPE_GET(types, 2);
	const uint8_t *pat = p[2].memref.buffer;
	size_t plen = t2 == TEE_PARAM_TYPE_MEMREF_INPUT ? p[2].memref.size : 0;

	if ((t2 != TEE_PARAM_TYPE_NONE && t2 != TEE_PARAM_TYPE_MEMREF_INPUT) ||
	    types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT, t2,
				     TEE_PARAM_TYPE_VALUE_OUTPUT) ||
	    (t2 == TEE_PARAM_TYPE_MEMREF_INPUT && (!plen || plen > TZI_AUDIT_MAX_PATTERN)))
		return TEE_ERROR_BAD_PARAMETERS;
	wipe_audit_drain();
	p[0].value.a = found.regions;
	p[0].value.b = clamp32(found.bytes);
	p[1].value.a = clamp32(found.nonzero);
	p[1].value.b = found.dirty_regions;
	memset(&found, 0, sizeof(found));
	/* The pattern stays in shared memory: a copy in the TA would be found by the search. */
	p[3].value.a = plen ? occurrences(ta_heap, ta_heap_size, pat, plen) : 0;
	p[3].value.b = plen ? occurrences(frame - STACK_SEARCH_BYTES,
					  STACK_SEARCH_BYTES - STACK_SEARCH_SKIP, pat, plen) : 0;
	return TEE_SUCCESS;
}
