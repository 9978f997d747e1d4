/*
 * The malformed requests tzinfer-hostile sends, each with the TEE result the interface
 * (ta/include/tzinfer_ta.h) defines for it: protocol-order mistakes, mis-declared and
 * oversized uploads, malformed I/O blocks (counts, offsets, sizes, alignment), wrong parameter
 * types for every command, zero-length and huge shared memory, unknown command ids, malformed
 * sealed headers, key management without an identity, attestation out of order, a second
 * session next to one that holds its whole quota, and corrupted copies of a valid model. The
 * valid model has one input (h->input).
 */
#ifndef TZI_HOSTILE_CASES_H
#define TZI_HOSTILE_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "ta_link.h"

struct hostile {
	struct ta_link *link;
	const uint8_t *model;   /* a valid .tzm */
	size_t model_len;
	const float *input;     /* a valid input for it */
	size_t input_len;       /* bytes */
	uint32_t output_block;  /* bytes of RUN's output block, from LOAD_END */
	uint32_t quota;         /* the session quota, from STATS */
	unsigned cases, failures;
};

/* Send every built-in case; results are printed one line per case and counted in h. */
void hostile_run_builtin(struct hostile *h);

/* After the cases, with the model unloaded: the TA holds exactly the secure buffers it held
 * before them (in_use_before, from STATS), so no refused request leaked one. */
void hostile_check_nothing_held(struct hostile *h, uint32_t in_use_before);

/*
 * Corruptions of h->model listed in path, one per line: "name offset xor fixup results",
 * i.e. XOR the byte at offset with xor, recompute the body SHA-256 when fixup is 1, upload
 * and expect LOAD_END to return one of `results` (comma-separated hex TEE results). 0, or -1
 * if path is unreadable or malformed (with a diagnostic).
 */
int hostile_run_corruptions(struct hostile *h, const char *path);

#endif
