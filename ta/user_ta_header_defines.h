/*
 * Properties of the S-Tinylib TA, read by OP-TEE's TA dev kit (user_ta_header.c).
 *
 * TA_DATA_SIZE, the TA heap, must hold the whole model file (weights are used in place) plus
 * its activation arena: about 14 MB + 10 MB for MobileNetV2. It comes from the board memory
 * map (ta_heap_budget in board/<board>/memory.yaml) through `make TA_DATA_SIZE=...`; see
 * tzinfer/stack/payload.py. OP-TEE maps it as one contiguous block of the TA RAM pool.
 */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <user_ta_header.h>

#include "tzinfer_ta.h"

#ifndef TZI_TA_DATA_SIZE
#error "TZI_TA_DATA_SIZE is not set: build with `make TA_DATA_SIZE=<bytes>` (see ta/Makefile)"
#endif

#if defined(TZI_TEST_TA_FLAG_CONCURRENT)
#include "tzinfer_ta_test.h"
/* A TA that OP-TEE must refuse to load (include/tzinfer_ta_test.h). */
#define TA_UUID TZI_TEST_CONCURRENT_TA_UUID
#define TA_DESCRIPTION "tzinfer S-Tinylib, TEST BUILD with TA_FLAG_CONCURRENT: must not load"
#define TZI_TEST_EXTRA_FLAGS TA_FLAG_CONCURRENT
#elif defined(TZI_TEST_HOOKS)
#include "tzinfer_ta_test.h"
/* The test build (include/tzinfer_ta_test.h) is a different TA: it must never pass for the product. */
#define TA_UUID TZI_TEST_TA_UUID
#define TA_DESCRIPTION "tzinfer S-Tinylib, TEST BUILD with WIPE_AUDIT: never for a device"
#else
#define TA_UUID TZI_TA_UUID
#define TA_DESCRIPTION "tzinfer S-Tinylib: private DNN inference"
#endif

/*
 * One 32 KiB stack per entry that may run at once (TZI_TA_WORKER_SLOTS, from the board memory
 * map through `make TA_WORKER_SLOTS=...`): OP-TEE's concurrent-entries patch gives entry k the
 * k-th slice of this one stack region (docs/multicore.md §4.1).
 */
#ifndef TZI_TA_WORKER_SLOTS
#error "TZI_TA_WORKER_SLOTS is not set: build with ta/Makefile"
#endif
/*
 * One instance shared by all sessions: the heap is sized for one large model, and a second
 * instance would need a second heap of the same size. Each session keeps its own model.
 * With more than one slot, commands with TA_CMD_WORKER_BIT and value parameters only may run
 * at once on several cores (TA_FLAG_CONCURRENT_WORKERS, from our OP-TEE patch 0003).
 */
#if TZI_TA_WORKER_SLOTS > 1
#ifndef TA_FLAG_CONCURRENT_WORKERS
#error "TA_WORKER_SLOTS > 1 needs TA_FLAG_CONCURRENT_WORKERS, which this TA dev kit lacks: build OP-TEE with meta-tzinfer-bsp/recipes-security/optee/files/0003-core-concurrent-worker-entries-into-a-user-TA.patch, or the TA with TA_WORKER_SLOTS=1"
#endif
#define TZI_TA_WORKER_FLAGS TA_FLAG_CONCURRENT_WORKERS
#else
#define TZI_TA_WORKER_FLAGS 0
#endif
#ifndef TZI_TEST_EXTRA_FLAGS
#define TZI_TEST_EXTRA_FLAGS 0
#endif
#define TA_FLAGS (TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION | TZI_TA_WORKER_FLAGS | \
		  TZI_TEST_EXTRA_FLAGS)
#define TZI_TA_SLOT_STACK_SIZE (32 * 1024)
#define TA_STACK_SIZE (TZI_TA_WORKER_SLOTS * TZI_TA_SLOT_STACK_SIZE)
#define TA_DATA_SIZE (TZI_TA_DATA_SIZE)

#define TA_VERSION "1.0"

#endif
