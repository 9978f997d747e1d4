/*
 * The test build of the S-Tinylib TA: the same sources compiled with TZI_TEST_HOOKS
 * (`make -C ta TZI_TEST_HOOKS=y`), under a UUID of its own so that it can sit beside the
 * product TA on a test target. It adds one command, WIPE_AUDIT, that checks the TA's
 * zeroisation from the inside. The product TA (TZI_TA_UUID) is never built with the hooks:
 * it answers this command ID with TEE_ERROR_NOT_SUPPORTED like any unknown command. The test TA
 * is built by the Yocto recipe tzinfer-ta-test, for test images only (feature tzinfer-tests),
 * and by the quick QEMU stack (tzinfer/stack/payload.py), beside the product TA.
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

/*
 * TEST_RENDEZVOUS (test build only): a worker command (bit 31, value parameters only) that
 * returns only once a second TEST_RENDEZVOUS entry was inside the TA at the same time, which
 * needs OP-TEE's concurrent worker entries (patch 0003, TA_FLAG_CONCURRENT_WORKERS): otherwise
 * the second entry comes in only after the first has left. It touches one atomic word and
 * calls only the time and cancellation functions, as worker entries must.
 *   [0] VALUE_INPUT   a = how long to wait for the partner in ms, 1 ... TZI_TEST_RENDEZVOUS_MAX_MS
 *   [1] VALUE_OUTPUT  a = 1 if this entry came first and waited, 0 if its partner was waiting
 * TEE_SUCCESS once the two met; TEE_ERROR_BUSY when no partner came in time;
 * TEE_ERROR_CANCEL when the client cancelled (or another entry of the instance panicked).
 */
#define TZI_CMD_TEST_RENDEZVOUS 0xfe570002
#define TZI_TEST_RENDEZVOUS_MAX_MS 10000u

/*
 * TEST_PANIC_BESIDE (test build only): a worker command that waits until a TEST_RENDEZVOUS entry
 * waits for its partner, then panics the TA beside it. OP-TEE must then tell the waiting entry to
 * leave (TEE_GetCancellationFlag), and release the instance once both have left.
 *   [0] VALUE_INPUT   a = how long to wait for the waiting entry in ms, as TEST_RENDEZVOUS
 * Does not return when it panics; TEE_ERROR_BUSY when no entry waited in time.
 */
#define TZI_CMD_TEST_PANIC_BESIDE 0xfe570003

/*
 * `make -C ta TZI_TEST_HOOKS=y TZI_TEST_TA_FLAG_CONCURRENT=y` builds the test TA with
 * TA_FLAG_CONCURRENT, OP-TEE's flag for pseudo TAs only, under this UUID of its own: an OP-TEE
 * with patch 0003 must refuse to load it (tests/qemu/test_concurrent_entries.py).
 */
/* 2d6b8d0e-4f0a-4a51-9c1e-6f3b1a7e5c42 */
#define TZI_TEST_CONCURRENT_TA_UUID \
	{ 0x2d6b8d0e, 0x4f0a, 0x4a51, \
		{ 0x9c, 0x1e, 0x6f, 0x3b, 0x1a, 0x7e, 0x5c, 0x42 } }
#define TZI_TEST_CONCURRENT_TA_UUID_STR "2d6b8d0e-4f0a-4a51-9c1e-6f3b1a7e5c42"

#endif
