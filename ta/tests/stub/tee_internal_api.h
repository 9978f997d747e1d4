/*
 * The part of the GP TEE Internal Core API that ta/run_team.c uses, for its host test
 * (ta/tests/run_team_host.c): result codes as OP-TEE defines them, and the two syscalls, which the
 * test implements with a clock it controls and a cancellation flag it sets.
 */
#ifndef TZI_TEST_TEE_INTERNAL_API_H
#define TZI_TEST_TEE_INTERNAL_API_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t TEE_Result;
typedef struct {
	uint32_t seconds;
	uint32_t millis;
} TEE_Time;

#define TEE_SUCCESS 0x00000000u
#define TEE_ERROR_CANCEL 0xffff0002u
#define TEE_ERROR_BAD_PARAMETERS 0xffff0006u
#define TEE_ERROR_BAD_STATE 0xffff0007u
#define TEE_ERROR_BUSY 0xffff000du
#define TEE_ERROR_TIMEOUT 0xffff3001u

void TEE_GetSystemTime(TEE_Time *time);
bool TEE_GetCancellationFlag(void);

#endif
