/*
 * The test build of the S-Tinylib TA: the same sources compiled with TZI_TEST_HOOKS
 * (`make -C ta TZI_TEST_HOOKS=y`), under a UUID of its own so that it can sit beside the
 * product TA on a test target. It adds one command, WIPE_AUDIT, that checks the TA's
 * zeroisation from the inside. The product TA (TZI_TA_UUID) is never built with the hooks:
 * it answers this command ID with TEE_ERROR_NOT_SUPPORTED like any unknown command. Only the
 * Yocto recipe tzinfer-ta-test builds the test TA, for test images (feature tzinfer-tests).
 *
 * How the audit works: in the test build every region the TA wipes and frees (model upload
 * buffers, arenas, session state) is wiped as in the product, then held back from the heap
 * in a ledger instead of being freed at once, so that nothing, not even the allocator's own
 * bookkeeping, writes to it before WIPE_AUDIT reads it. WIPE_AUDIT counts the non-zero bytes
 * left in those regions and then really frees them. It can also search the whole TA heap
 * and the part of the TA stack below its own frame for a byte pattern (weights, an input,
 * an output, a key) that must be gone.
 */
#ifndef TZINFER_TA_TEST_H
#define TZINFER_TA_TEST_H

/* 8a47ac46-b128-4b09-a7fc-58ae696b59e7: the test build's UUID. */
#define TZI_TEST_TA_UUID \
	{ 0x8a47ac46, 0xb128, 0x4b09, \
		{ 0xa7, 0xfc, 0x58, 0xae, 0x69, 0x6b, 0x59, 0xe7 } }
#define TZI_TEST_TA_UUID_STR "8a47ac46-b128-4b09-a7fc-58ae696b59e7"

/*
 * What the test build writes into every new secure buffer before the TA uses it, repeated: the
 * stand-in for stale heap contents. Whatever of it is left after LOAD_END was never written or
 * zeroed by the TA (the arena, for one, must be zeroed at LOAD_END); WIPE_AUDIT finds it.
 */
#define TZI_TEST_STALE_PATTERN "TZI-STALE-HEAP!!"
#define TZI_TEST_STALE_BYTES 16u

/* Longest pattern WIPE_AUDIT searches for. */
#define TZI_AUDIT_MAX_PATTERN 64u

/*
 * WIPE_AUDIT (test build only): audit every region released since the last audit, then
 * free them.
 *   [0] VALUE_OUTPUT  a = regions released since the last audit, b = bytes in them
 *   [1] VALUE_OUTPUT  a = non-zero bytes found in them (0 when every wipe worked),
 *                     b = regions with at least one non-zero byte
 *   [2] MEMREF_INPUT  a pattern (1 ... TZI_AUDIT_MAX_PATTERN bytes), or NONE
 *   [3] VALUE_OUTPUT  a = occurrences of the pattern in the whole TA heap (live data of
 *                     every session included), b = occurrences in the TA stack below this
 *                     command's frame; both 0 without a pattern
 */
#define TZI_CMD_TEST_WIPE_AUDIT 0x7e570001

#endif
