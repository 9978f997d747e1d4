/*
 * The zeroisation audit: drives the test build of the TA (ta/include/tzinfer_ta_test.h)
 * through UNLOAD, session close and failed loads, and asks its WIPE_AUDIT command after each
 * whether the regions the TA released are all zero and whether weights, input, output or key
 * bytes are left anywhere in its heap or below its stack frame. It also checks that the
 * product TA does not have the command.
 */
#ifndef TZI_ZEROISATION_H
#define TZI_ZEROISATION_H

#include <stddef.h>
#include <stdint.h>

struct zeroisation_inputs {
	const uint8_t *model;   /* a valid plaintext .tzm */
	size_t model_len;
	const uint8_t *sealed;  /* the same model sealed (tzinfer seal) */
	size_t sealed_len;
	const uint8_t *key;     /* the sealed package's AES-256 key */
	size_t key_len;
	const float *input;     /* a valid input */
	size_t input_len;       /* bytes */
};

/* Prints one "audit ..." line per check; 0 when every check passed, -1 otherwise. */
int zeroisation_run(const struct zeroisation_inputs *in);

#endif
