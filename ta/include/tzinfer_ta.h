/*
 * The interface between the S-Tinylib Trusted Application and its normal-world clients:
 * the TA's UUID, its command IDs and, for each command, the layout of the four GP parameters.
 * Shared verbatim by ta/ and client/.
 *
 * A model is loaded in three steps so that it can arrive in chunks through shared memory
 * (OP-TEE's static shared memory on QEMU is only 2 MiB, while MobileNetV2 is 14 MB):
 *
 *   LOAD_BEGIN(total size) -> LOAD_CHUNK(offset, bytes)... -> LOAD_END
 *
 * The TA copies every chunk into one secure buffer; LOAD_END unseals a sealed package and verifies
 * the whole file (stl_load: header, SHA-256, tables, memory plan), and only then makes the model
 * usable.
 * Any failure wipes and frees everything of the load. One session holds at most one model;
 * UNLOAD (or closing the session) wipes and frees it.
 *
 * A model has one or more inputs and outputs (docs/model-format.md). RUN moves them all at once,
 * each direction in one buffer: an I/O block (below), a table of offsets and sizes followed by
 * the tensors. DESCRIBE gives their names, shapes and the block sizes.
 *
 * Errors come back as GP result codes:
 *   TEE_ERROR_BAD_PARAMETERS  wrong parameter types or sizes (e.g. input size != model's);
 *   TEE_ERROR_BAD_STATE       command out of order (RUN before LOAD_END, CHUNK before BEGIN,
 *                             BEGIN while a load is under way or a model is loaded);
 *   TEE_ERROR_EXCESS_DATA     the model and its arena exceed this session's quota;
 *   TEE_ERROR_OUT_OF_MEMORY   the model or its arena does not fit in the TA heap now;
 *   TEE_ERROR_BAD_FORMAT      the engine refused the model; the engine's status, the op and
 *                             tensor involved and its reason text are returned (see below).
 * Commands that can report an engine failure take an optional MEMREF_OUTPUT in param 3 that
 * receives the reason as a NUL-terminated string (truncated to fit), and return the engine
 * status in a VALUE_OUTPUT (see each command).
 */
#ifndef TZINFER_TA_H
#define TZINFER_TA_H

#include <stdint.h>

/* 0340e2ee-9d74-4b6b-bd92-3d3b8343569d; the TA file is <uuid>.ta. */
#define TZI_TA_UUID \
	{ 0x0340e2ee, 0x9d74, 0x4b6b, \
		{ 0xbd, 0x92, 0x3d, 0x3b, 0x83, 0x43, 0x56, 0x9d } }
#define TZI_TA_UUID_STR "0340e2ee-9d74-4b6b-bd92-3d3b8343569d"

/* Interface revision; bumped when a command or layout below changes incompatibly.
 * 2: several inputs and outputs (RUN's I/O blocks, DESCRIBE).
 * 3: per-session STATS and quota, LOAD_BEGIN flags, key-management flags and LOCK_KEYS,
 *    sealed format v2 only, ATTEST and DEVICE_KEY.
 * 4: team runs on several cores (TEAM_OPEN, TEAM_JOIN, RUN_PREPARE, RUN_WORK, RUN_COLLECT);
 *    STATS [3].b carries the worker slots next to the version.
 * 5: a time limit on RUN and RUN_PREPARE, kept by the TA between ops (TEE_ERROR_TIMEOUT). */
#define TZI_TA_API_VERSION 5

/* Largest chunk LOAD_CHUNK accepts, and the chunk size the client uses by default. */
#define TZI_MAX_CHUNK_BYTES (4u * 1024u * 1024u)

/* Size a client should give the reason buffer (param 3) so that no reason is truncated. */
#define TZI_REASON_BYTES 160u

/*
 * LOAD_BEGIN: start a model upload (a plaintext .tzm, or a sealed package: docs/sealed-format.md).
 *   [0] VALUE_INPUT   a = total size of the file in bytes (> 0), b = flags:
 *                     TZI_LOAD_ATTEST: hash the file, and each RUN's input and output, so that
 *                     ATTEST can sign them (costs one SHA-256 over the file at LOAD_END and
 *                     a secure copy of input and output per RUN); other bits must be 0
 *   [1] NONE  [2] NONE  [3] NONE
 * The TA allocates the secure model buffer here: TEE_ERROR_EXCESS_DATA when the file alone
 * exceeds this session's quota (STATS [3].a), TEE_ERROR_OUT_OF_MEMORY when the TA heap has no
 * room for it now.
 */
#define TZI_CMD_LOAD_BEGIN 0
#define TZI_LOAD_ATTEST 1u

/*
 * LOAD_CHUNK: append bytes to the upload; chunks must arrive in order. A rejected chunk
 * (BAD_PARAMETERS) also wipes the upload so far: start again with LOAD_BEGIN.
 *   [0] MEMREF_INPUT  the bytes (1 ... TZI_MAX_CHUNK_BYTES)
 *   [1] VALUE_INPUT   a = file offset of the first byte (= bytes received so far), b = 0
 *   [2] NONE  [3] NONE
 */
#define TZI_CMD_LOAD_CHUNK 1

/*
 * LOAD_END: unseal (sealed packages), verify the file with the engine and make the model usable.
 *   [0] VALUE_OUTPUT  a = input block bytes, b = output block bytes of RUN (the standard
 *                     layout below; DESCRIBE gives them again, with the tensors)
 *   [1] VALUE_OUTPUT  a = arena bytes (peak activation memory), b = weights bytes;
 *                     on TEE_ERROR_SECURITY (rollback): a = the key id's minimum version,
 *                     b = the package's model_version
 *   [2] VALUE_OUTPUT  a = engine status (enum stl_status, 0 = OK),
 *                     b = op index (high 16 bits) and tensor index (low 16 bits) involved,
 *                         each 0xffff when none
 *   [3] MEMREF_OUTPUT or NONE: the reason text of a refusal
 * Refusals besides the engine's (BAD_FORMAT, also for a malformed sealed header):
 *   TEE_ERROR_ITEM_NOT_FOUND  sealed for a key_id that is not provisioned;
 *   TEE_ERROR_MAC_INVALID     wrong key, or the sealed package was changed;
 *   TEE_ERROR_SECURITY        model_version is below the key id's minimum version (rollback);
 *   TEE_ERROR_NOT_SUPPORTED   a sealed package of format v1 (refused: docs/sealed-format.md);
 *   TEE_ERROR_ACCESS_DENIED   a plaintext .tzm on a TA built sealed-only (TZI_SEALED_ONLY=y);
 *   TEE_ERROR_EXCESS_DATA     file plus arena exceed this session's quota;
 *   TEE_ERROR_OUT_OF_MEMORY   the TA heap has no room for the arena now.
 * A successful load of a sealed package raises its key id's minimum version to its
 * model_version, unless the package carries the KEEP_FLOOR flag.
 */
#define TZI_CMD_LOAD_END 2

/*
 * RUN: one inference.
 *   [0] MEMREF_INPUT  the input block: every input, in the model's order (DESCRIBE)
 *   [1] MEMREF_OUTPUT the output block, at least the output block bytes; the TA writes its
 *                     header, table and tensors in the standard layout and sets the size to the
 *                     output block bytes (the needed size on TEE_ERROR_SHORT_BUFFER)
 *   [2] VALUE_INOUT   in: a = time limit in milliseconds (0: none), b = 0;
 *                     out: a = inference time in microseconds, measured in the TA with
 *                     TEE_GetSystemTime (its resolution is 1 ms), b = engine status
 *   [3] MEMREF_OUTPUT or NONE: the engine's reason text if the run fails
 * TEE_ERROR_BAD_PARAMETERS when the input block breaks a rule below (count, a size that is not
 * the input's, an offset outside the block or misaligned) or the output block is misaligned.
 * Between two ops the TA checks its cancellation flag and the time limit: TEEC_RequestCancellation
 * stops the run with TEE_ERROR_CANCEL, a run past its limit stops with TEE_ERROR_TIMEOUT (the
 * engine status is STL_E_CANCELLED and [2].b's op is the one not run). Either way the model stays
 * loaded and nothing is written to the output. The TA keeps the limit itself, by its own clock:
 * a cancellation request needs a normal-world thread to run, and one that shares a core with the
 * thread in the TA may wait a second or more for it.
 */
#define TZI_CMD_RUN 3

/*
 * STATS: what this session's model costs in secure memory, and its last inference time. Every
 * figure is this session's own: nothing here reveals another session's models.
 *   [0] VALUE_OUTPUT  a = arena bytes (peak activations), b = weights bytes
 *   [1] VALUE_OUTPUT  a = model bytes (the whole file held in secure memory),
 *                     b = last inference time in microseconds (0 before the first RUN)
 *   [2] VALUE_OUTPUT  a = bytes this session holds in secure buffers now (model, arena, upload,
 *                     attestation copies), b = the most it held at once (a leak shows as
 *                     growth across UNLOADs)
 *   [3] VALUE_OUTPUT  a = this session's quota: the most secure-buffer bytes one session may
 *                     hold (TZI_SESSION_QUOTA, by default half the TA heap),
 *                     b = TZI_TA_API_VERSION in the low 16 bits, and in the high 16 bits the
 *                     worker slots: how many entries may run in the TA at once, i.e. the most
 *                     participants of a team run (TZI_TA_WORKER_SLOTS, the board memory map's
 *                     ta_worker_slots)
 * Valid with or without a loaded model (sizes are 0 without one). A team owner's figures include
 * its team: the counters and each worker's scratch.
 */
#define TZI_CMD_STATS 4
#define TZI_STATS_VERSION(b) ((b) & 0xffffu)
#define TZI_STATS_WORKER_SLOTS(b) ((b) >> 16)
#define TZI_STATS_VERSION_SLOTS(version, slots) ((uint32_t)(version) | (uint32_t)(slots) << 16)

/*
 * UNLOAD: wipe and free the model, its arena and any upload under way. Idempotent.
 *   [0..3] NONE
 */
#define TZI_CMD_UNLOAD 5

/*
 * Key management: PROVISION_KEY, DELETE_KEY and LOCK_KEYS (docs/security.md, "Who may manage
 * keys"). Each refuses with
 *   TEE_ERROR_ACCESS_DENIED  unless the session was opened with TEEC_LOGIN_USER by uid 0, or
 *                            with TEEC_LOGIN_GROUP for the group the TA was built with
 *                            (TZI_KEY_ADMIN_GID); TEEC_LOGIN_PUBLIC never qualifies;
 *   TEE_ERROR_BAD_STATE      once LOCK_KEYS has run on this device (until a factory reset:
 *                            erasing OP-TEE's secure storage).
 */

/*
 * PROVISION_KEY: store the AES-256 model key for key_id in OP-TEE secure storage
 * (TEE_STORAGE_PRIVATE). Sealed packages (docs/sealed-format.md) name their key by key_id. No
 * command returns key material: a provisioned key can be used or deleted, never read.
 *   [0] VALUE_INPUT   a = key_id, b = flags: TZI_KEY_REPLACE to overwrite an existing key
 *   [1] MEMREF_INPUT  the key, exactly TZI_MODEL_KEY_BYTES bytes
 *   [2] NONE  [3] NONE
 * TEE_ERROR_ACCESS_CONFLICT when key_id already has a key and TZI_KEY_REPLACE is not set.
 */
#define TZI_CMD_PROVISION_KEY 6
#define TZI_KEY_REPLACE 1u

/*
 * DELETE_KEY: remove the key for key_id (rotation: provision the new id, re-seal, delete the old).
 * The key id's minimum version stays: it is never lowered.
 *   [0] VALUE_INPUT   a = key_id, b = 0
 *   [1..3] NONE
 * TEE_ERROR_ITEM_NOT_FOUND when no key has that id.
 */
#define TZI_CMD_DELETE_KEY 7

/*
 * DESCRIBE: the loaded model's inputs and outputs.
 *   [0] MEMREF_OUTPUT the description (below); on TEE_ERROR_SHORT_BUFFER its size is set to
 *                     the bytes needed
 *   [1] VALUE_OUTPUT  a = input block bytes, b = output block bytes (as LOAD_END)
 *   [2] NONE  [3] NONE
 * TEE_ERROR_BAD_STATE without a loaded model. The description is a struct tzi_describe_header,
 * then one struct tzi_tensor_desc per input and then per output, in the model's order, then the
 * names, each followed by a NUL. It is the model's interface, as the client must know it to use
 * the model; a sealed model's tables and weights stay in the TA.
 */
#define TZI_CMD_DESCRIBE 8

/*
 * LOCK_KEYS: from now on PROVISION_KEY, DELETE_KEY and LOCK_KEYS refuse with BAD_STATE, for every
 * session and after reboots (a marker in secure storage). Sealed models keep loading.
 *   [0..3] NONE
 */
#define TZI_CMD_LOCK_KEYS 9

/*
 * ATTEST: sign what the last RUN of this session computed, with the device key (DEVICE_KEY).
 * Only for a model loaded with TZI_LOAD_ATTEST, after a successful RUN (BAD_STATE otherwise).
 *   [0] MEMREF_INPUT  the verifier's nonce, exactly TZI_NONCE_BYTES bytes
 *   [1] MEMREF_OUTPUT the report, TZI_ATTEST_REPORT_BYTES (SHORT_BUFFER, with the size, if less)
 *   [2] NONE  [3] NONE
 * Report layout (little-endian integers; docs/security.md, "Attested results"):
 *     0   8  "TZATTEST"
 *     8   4  report version (1)
 *    12   4  key_id of the sealed package (0: a plaintext model)
 *    16   4  model_version of the sealed package (0: a plaintext model)
 *    20   4  reserved, 0
 *    24  32  SHA-256 of the model file exactly as uploaded (the sealed package, or the .tzm)
 *    56  32  SHA-256 of the last RUN's inputs: each input tensor's bytes, in the model's
 *            order, one after the other (not the input block's table or padding)
 *    88  32  SHA-256 of the last RUN's outputs, the same way
 *   120  32  the nonce
 *   152  64  ECDSA P-256 signature (r then s, 32 bytes each, big-endian) over SHA-256 of
 *            bytes 0 ... 151
 */
#define TZI_CMD_ATTEST 10
#define TZI_NONCE_BYTES 32u
#define TZI_ATTEST_SIGNED_BYTES 152u
#define TZI_ATTEST_REPORT_BYTES 216u
#define TZI_ATTEST_REPORT_VERSION 1u

/*
 * DEVICE_KEY: the public half of the device's attestation key, an ECDSA P-256 key pair the TA
 * generates in secure storage on first use (this command or ATTEST). The private half never
 * leaves the TA.
 *   [0] MEMREF_OUTPUT the public key as an uncompressed SEC1 point (0x04, X, Y),
 *                     TZI_DEVICE_KEY_BYTES (SHORT_BUFFER, with the size, if less)
 *   [1..3] NONE
 */
#define TZI_CMD_DEVICE_KEY 11
#define TZI_DEVICE_KEY_BYTES 65u

/* Bytes of a model key (AES-256). */
#define TZI_MODEL_KEY_BYTES 32u

struct tzi_describe_header {
	uint32_t n_inputs, n_outputs;
};

struct tzi_tensor_desc {
	uint32_t name_offset;  /* from the start of the description */
	uint32_t name_len;     /* bytes, without the NUL */
	uint8_t dtype;         /* 0: float32 (enum stl_dtype) */
	uint8_t ndim;          /* 0 ... 6 */
	uint16_t reserved;     /* 0 */
	uint32_t dims[6];      /* dims[0 .. ndim), then 0 */
	uint32_t bytes;        /* its size in an I/O block */
};

/*
 * I/O block: how RUN carries several tensors in one buffer, through shared memory.
 *
 *   struct tzi_io_header  count (= the model's inputs, resp. outputs), reserved = 0
 *   struct tzi_io_entry   count entries in the model's order: offset (from the block's start)
 *                         and bytes of each tensor
 *   the tensors, float32
 *
 * In an input block each tensor must be exactly the input's bytes, 4-byte aligned in memory,
 * after the table and inside the block; the client chooses the offsets. The TA writes output
 * blocks, and clients usually write input blocks, in the standard layout: each tensor at the
 * next multiple of TZI_IO_ALIGN after the table or the previous tensor; a block's size is where
 * the next one would go (tzi_io_first, tzi_io_next). The TA reads the table once and uses only
 * what it checked, so a client that changes it during the call changes nothing.
 */
struct tzi_io_header {
	uint32_t count;
	uint32_t reserved;
};

struct tzi_io_entry {
	uint32_t offset;
	uint32_t bytes;
};

#define TZI_IO_ALIGN 16u

/* Offset of the first tensor of a block of `count` tensors in the standard layout. */
static inline uint64_t tzi_io_first(uint32_t count)
{
	uint64_t table_end = sizeof(struct tzi_io_header) + (uint64_t)count * sizeof(struct tzi_io_entry);

	return (table_end + TZI_IO_ALIGN - 1) / TZI_IO_ALIGN * TZI_IO_ALIGN;
}

/* Offset of the tensor after one of `bytes` at `offset` (and, after the last, the block size). */
static inline uint64_t tzi_io_next(uint64_t offset, uint64_t bytes)
{
	return (offset + bytes + TZI_IO_ALIGN - 1) / TZI_IO_ALIGN * TZI_IO_ALIGN;
}

/*
 * Team runs: one loaded model run on several cores (docs/multicore.md §4.2). The model session
 * (the owner) opens a team and gets a token; other sessions of the same client join it with the
 * token and become its workers (they hold no model of their own). A run is then
 *
 *   RUN_PREPARE (owner) -> RUN_WORK on the owner and on each worker, at once, each from its own
 *   thread -> RUN_COLLECT (owner)
 *
 * Each op's independent chunks go to whichever participant claims them first: a run completes
 * with any number of participants from the owner alone up, so a worker that does not come (no
 * free OP-TEE thread or slot, or an OP-TEE that runs the entries one after another) only makes it
 * slower. RUN_WORK is the only command that may run next to another entry of the TA (its ID has
 * TZI_CMD_WORKER_BIT, the bit OP-TEE's concurrent-entries patch admits as a worker entry, and it
 * takes value parameters only); all the others are exclusive. The outputs are RUN's bit for bit.
 */
#define TZI_CMD_WORKER_BIT 0x80000000u

/* Bytes of a team token. */
#define TZI_TEAM_TOKEN_BYTES 16u

/*
 * TEAM_OPEN (owner, a model loaded): a new team. Draws a 128-bit token (TEE_GenerateRandom) and
 * allocates the per-op counters (charged to this session). A team of this session's earlier
 * token is closed: its token is revoked and its workers are detached (their RUN_WORK returns
 * BAD_STATE; their scratch is wiped and freed). UNLOAD and closing the session do the same.
 *   [0] VALUE_OUTPUT  a, b = token bytes 0-3, 4-7 (little-endian)
 *   [1] VALUE_OUTPUT  a, b = token bytes 8-11, 12-15
 *   [2] NONE  [3] NONE
 * BAD_STATE without a loaded model, or on a worker session.
 */
#define TZI_CMD_TEAM_OPEN 12

/*
 * TEAM_JOIN (a session with no model and no upload): become a worker of the team whose token
 * this is. Allocates the worker's private scratch (the model's largest op scratch), charged to
 * the owner's quota; wiped and freed when the worker closes or the team ends.
 *   [0] VALUE_INPUT   a, b = token bytes 0-3, 4-7
 *   [1] VALUE_INPUT   a, b = token bytes 8-11, 12-15
 *   [2] NONE  [3] NONE
 * TEE_ERROR_ACCESS_DENIED  no open team has this token (wrong, or revoked);
 * TEE_ERROR_BAD_STATE      this session holds a model or an upload, or already belongs to a team;
 * TEE_ERROR_OVERFLOW       the team has TZI_TA_WORKER_SLOTS - 1 workers already (the owner is
 *                          the other participant);
 * TEE_ERROR_EXCESS_DATA / OUT_OF_MEMORY  no room for the scratch in the owner's quota / the heap.
 */
#define TZI_CMD_TEAM_JOIN 13

/*
 * RUN_PREPARE (owner, a team open): check and take the inputs (as RUN does), zero the counters,
 * arm the run.
 *   [0] MEMREF_INPUT  the input block (as RUN's [0])
 *   [1] VALUE_OUTPUT  a = the run id RUN_WORK names, b = the participants the chunks are cut for
 *                     (the owner and its workers)
 *   [2] VALUE_INPUT   a = time limit in milliseconds from now (0: none), b = 0: as RUN's, kept
 *                     by every participant between ops
 *   [3] MEMREF_OUTPUT or NONE: the engine's reason text if the inputs are refused
 * BAD_STATE without a team; BAD_PARAMETERS for an input block that breaks RUN's rules.
 */
#define TZI_CMD_RUN_PREPARE 14

/*
 * RUN_WORK (owner or worker; a worker entry): compute the armed run's chunks with whoever else is
 * in it, until the run is complete, cancelled or stalled.
 *   [0] VALUE_INPUT   a = the run id from RUN_PREPARE, b = 0
 *   [1..3] NONE
 * TEE_SUCCESS: the run is complete (possibly done by others before this entry came);
 * TEE_ERROR_CANCEL: the run was cancelled (TEEC_RequestCancellation of any participant's
 * RUN_WORK); TEE_ERROR_TIMEOUT: it passed RUN_PREPARE's time limit; TEE_ERROR_BUSY: the run stalled (no chunk finished for TZI_TEAM_STALL_MS: RUN_COLLECT
 * names the op), or another RUN_WORK of this session is under way; TEE_ERROR_BAD_STATE: no armed
 * run with this id, or the session is not (or no longer) in a team.
 */
#define TZI_CMD_RUN_WORK (TZI_CMD_WORKER_BIT | 15u)
#define TZI_TEAM_STALL_MS 10000u

/*
 * RUN_COLLECT (owner): the armed run's outputs, and disarm it.
 *   [0] MEMREF_OUTPUT the output block (as RUN's [1])
 *   [1] VALUE_OUTPUT  a = microseconds from RUN_PREPARE to RUN_COLLECT (1 ms resolution),
 *                     b = engine status
 *   [2] NONE
 *   [3] MEMREF_OUTPUT or NONE: the reason text when the run did not complete (as RUN's [3])
 * TEE_ERROR_CANCEL: the run was cancelled, nothing is written; TEE_ERROR_TIMEOUT: it passed its
 * time limit (the reason names the op), nothing is written; TEE_ERROR_BUSY: it stalled, the
 * reason names the op; TEE_ERROR_BAD_STATE: no run armed, or nobody ran it to the end
 * (RUN_WORK was not called). A model loaded with TZI_LOAD_ATTEST hashes the secure copies as
 * RUN does, and ATTEST signs the collected run.
 */
#define TZI_CMD_RUN_COLLECT 16

#endif
