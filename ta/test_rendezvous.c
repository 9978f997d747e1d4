#include "test_rendezvous.h"

#include <stdbool.h>

#include "tzinfer_ta_test.h"

/* Polls of the meeting point between two looks at the clock and the cancellation flag. */
#define SPINS_PER_CHECK 1024u

/* The meeting point, shared by every entry of the instance. */
enum { NOBODY_WAITS, ONE_WAITS, PARTNER_CAME };
static uint32_t meeting = NOBODY_WAITS;

static bool move(uint32_t from, uint32_t to)
{
	return __atomic_compare_exchange_n(&meeting, &from, to, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static uint64_t now_ms(void)
{
	TEE_Time t = { 0 };

	TEE_GetSystemTime(&t);
	return (uint64_t)t.seconds * 1000u + t.millis;
}

/* Why the waiting entry stops waiting, or TEE_SUCCESS to keep waiting. */
static TEE_Result stop_reason(uint64_t deadline)
{
	if (TEE_GetCancellationFlag())
		return TEE_ERROR_CANCEL;
	return now_ms() > deadline ? TEE_ERROR_BUSY : TEE_SUCCESS;
}

/* Wait at the meeting point until the partner comes (it sets PARTNER_CAME). */
static TEE_Result wait_for_partner(uint64_t deadline)
{
	TEE_Result res = TEE_SUCCESS;

	for (uint32_t spins = 1;; spins++) {
		if (__atomic_load_n(&meeting, __ATOMIC_ACQUIRE) == PARTNER_CAME)
			break;
		if (spins % SPINS_PER_CHECK)
			continue;
		res = stop_reason(deadline);
		/* Leave, unless the partner came in the meantime: then it counts. */
		if (res != TEE_SUCCESS && move(ONE_WAITS, NOBODY_WAITS))
			return res;
	}
	__atomic_store_n(&meeting, NOBODY_WAITS, __ATOMIC_RELEASE);
	return TEE_SUCCESS;
}

/* *deadline from the wait in params[0].value.a (1 ... TZI_TEST_RENDEZVOUS_MAX_MS ms), with
 * [1] VALUE_OUTPUT or NONE as `out` says; false for any other parameters. */
static bool deadline_from(uint32_t param_types, uint32_t out, const TEE_Param params[4],
			  uint64_t *deadline)
{
	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, out, TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE) ||
	    !params[0].value.a || params[0].value.a > TZI_TEST_RENDEZVOUS_MAX_MS)
		return false;
	*deadline = now_ms() + params[0].value.a;
	return true;
}

TEE_Result test_rendezvous_cmd(uint32_t param_types, TEE_Param params[4])
{
	TEE_Result res = TEE_SUCCESS;
	uint64_t deadline = 0;

	if (!deadline_from(param_types, TEE_PARAM_TYPE_VALUE_OUTPUT, params, &deadline))
		return TEE_ERROR_BAD_PARAMETERS;
	/* A pair that just met is still resetting the meeting point: try again until it has. */
	while (res == TEE_SUCCESS) {
		if (move(ONE_WAITS, PARTNER_CAME)) {
			params[1].value.a = 0;
			return TEE_SUCCESS;
		}
		if (move(NOBODY_WAITS, ONE_WAITS)) {
			params[1].value.a = 1;
			return wait_for_partner(deadline);
		}
		res = stop_reason(deadline);
	}
	return res;
}

TEE_Result test_panic_beside_cmd(uint32_t param_types, TEE_Param params[4])
{
	TEE_Result res = TEE_SUCCESS;
	uint64_t deadline = 0;

	if (!deadline_from(param_types, TEE_PARAM_TYPE_NONE, params, &deadline))
		return TEE_ERROR_BAD_PARAMETERS;
	while (__atomic_load_n(&meeting, __ATOMIC_ACQUIRE) != ONE_WAITS) {
		res = stop_reason(deadline);
		if (res != TEE_SUCCESS)
			return res;
	}
	TEE_Panic(TEE_ERROR_GENERIC);
	return TEE_ERROR_GENERIC; /* not reached: TEE_Panic does not return */
}
