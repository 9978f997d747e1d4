/*
 * Concurrent worker entries into the test build of the TA, for
 * tests/qemu/test_concurrent_entries.py (OP-TEE patch 0003, docs/multicore.md §4.1):
 *
 *   tzinfer-hostile --rendezvous WAIT_MS
 *       two threads, each with a session of its own, call TEST_RENDEZVOUS
 *       (ta/include/tzinfer_ta_test.h) at once; one "entry" line per thread, then
 *       "rendezvous: ok" only if both calls met inside the TA.
 *   tzinfer-hostile --panic-beside WAIT_MS
 *       the same, with TEST_PANIC_BESIDE in the second thread: it panics the TA while the first
 *       waits; "panic beside a waiting entry: ok" only if both calls report the dead TA and the
 *       waiting one left in less than half its wait (OP-TEE told it to).
 *   tzinfer-hostile --open-session UUID
 *       opens a session with the TA UUID and closes it; prints its TEE result and origin.
 */
#ifndef TZI_CONCURRENT_ENTRIES_H
#define TZI_CONCURRENT_ENTRIES_H

/* Exit status: 0 when the two entries met, 1 when not, 2 on a usage or set-up error. */
int concurrent_rendezvous(const char *wait_ms);

/* Exit status: 0 when the panic ended both entries early, 1 when not, 2 on a set-up error. */
int concurrent_panic_beside(const char *wait_ms);

/* Exit status: 0 when the session opened, 1 when not, 2 on a usage error. */
int concurrent_open_session(const char *uuid);

#endif
