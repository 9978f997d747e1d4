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
 * The TA copies every chunk into one secure buffer; LOAD_END verifies the whole file
 * (stl_load: header, SHA-256, tables, memory plan) and only then makes the model usable.
 * Any failure wipes and frees everything of the load. One session holds at most one model;
 * UNLOAD (or closing the session) wipes and frees it.
 *
 * Errors come back as GP result codes:
 *   TEE_ERROR_BAD_PARAMETERS  wrong parameter types or sizes (e.g. input size != model's);
 *   TEE_ERROR_BAD_STATE       command out of order (RUN before LOAD_END, CHUNK before BEGIN,
 *                             BEGIN while a load is under way or a model is loaded);
 *   TEE_ERROR_OUT_OF_MEMORY   the model or its arena does not fit in the TA heap;
 *   TEE_ERROR_BAD_FORMAT      the engine refused the model; the engine's status, the op and
 *                             tensor involved and its reason text are returned (see below).
 * Commands that can report an engine failure take an optional MEMREF_OUTPUT in param 3 that
 * receives the reason as a NUL-terminated string (truncated to fit), and return the engine
 * status in a VALUE_OUTPUT (see each command).
 */
#ifndef TZINFER_TA_H
#define TZINFER_TA_H

/* 0340e2ee-9d74-4b6b-bd92-3d3b8343569d; the TA file is <uuid>.ta. */
#define TZI_TA_UUID \
	{ 0x0340e2ee, 0x9d74, 0x4b6b, \
		{ 0xbd, 0x92, 0x3d, 0x3b, 0x83, 0x43, 0x56, 0x9d } }
#define TZI_TA_UUID_STR "0340e2ee-9d74-4b6b-bd92-3d3b8343569d"

/* Interface revision; bumped when a command or layout below changes incompatibly. */
#define TZI_TA_API_VERSION 1

/* Largest chunk LOAD_CHUNK accepts, and the chunk size the client uses by default. */
#define TZI_MAX_CHUNK_BYTES (4u * 1024u * 1024u)

/* Size a client should give the reason buffer (param 3) so that no reason is truncated. */
#define TZI_REASON_BYTES 160u

/*
 * LOAD_BEGIN: start a model upload.
 *   [0] VALUE_INPUT   a = total size of the .tzm file in bytes (> 0), b = 0 (reserved flags)
 *   [1] NONE  [2] NONE  [3] NONE
 * The TA allocates the secure model buffer here: TEE_ERROR_OUT_OF_MEMORY if it cannot.
 */
#define TZI_CMD_LOAD_BEGIN 0

/*
 * LOAD_CHUNK: append bytes to the upload; chunks must arrive in order. A rejected chunk
 * (BAD_PARAMETERS) also wipes the upload so far: start again with LOAD_BEGIN.
 *   [0] MEMREF_INPUT  the bytes (1 ... TZI_MAX_CHUNK_BYTES)
 *   [1] VALUE_INPUT   a = file offset of the first byte (= bytes received so far), b = 0
 *   [2] NONE  [3] NONE
 */
#define TZI_CMD_LOAD_CHUNK 1

/*
 * LOAD_END: verify the uploaded file with the engine and make the model usable.
 *   [0] VALUE_OUTPUT  a = input bytes, b = output bytes the model expects for RUN
 *   [1] VALUE_OUTPUT  a = arena bytes (peak activation memory), b = weights bytes
 *   [2] VALUE_OUTPUT  a = engine status (enum stl_status, 0 = OK),
 *                     b = op index (high 16 bits) and tensor index (low 16 bits) involved,
 *                         each 0xffff when none
 *   [3] MEMREF_OUTPUT or NONE: the engine's reason text on TEE_ERROR_BAD_FORMAT
 */
#define TZI_CMD_LOAD_END 2

/*
 * RUN: one inference.
 *   [0] MEMREF_INPUT  input tensor, float32, exactly the model's input bytes
 *   [1] MEMREF_OUTPUT output tensor, float32, exactly the model's output bytes (its size is
 *                     set to the needed size on TEE_ERROR_SHORT_BUFFER)
 *   [2] VALUE_OUTPUT  a = inference time in microseconds, measured in the TA with
 *                     TEE_GetSystemTime (its resolution is 1 ms), b = engine status
 *   [3] MEMREF_OUTPUT or NONE: the engine's reason text if the run fails
 */
#define TZI_CMD_RUN 3

/*
 * STATS: what the loaded model costs in secure memory, and the last inference time.
 *   [0] VALUE_OUTPUT  a = arena bytes (peak activations), b = weights bytes
 *   [1] VALUE_OUTPUT  a = model bytes (the whole .tzm held in secure memory),
 *                     b = last inference time in microseconds (0 before the first RUN)
 *   [2] VALUE_OUTPUT  a = bytes the TA holds in secure buffers now (models, arenas and
 *                     uploads of all sessions), b = the most it held at once since the TA
 *                     instance started (a leak shows as growth across UNLOADs)
 *   [3] VALUE_OUTPUT  a = TA heap size (TA_DATA_SIZE), b = TZI_TA_API_VERSION
 * Valid with or without a loaded model (sizes are 0 without one).
 */
#define TZI_CMD_STATS 4

/*
 * UNLOAD: wipe and free the model, its arena and any upload under way. Idempotent.
 *   [0..3] NONE
 */
#define TZI_CMD_UNLOAD 5

/*
 * PROVISION_KEY: store (or replace) the AES-256 model key for key_id in OP-TEE secure storage
 * (TEE_STORAGE_PRIVATE). Sealed packages (docs/model-format.md) name their key by key_id; LOAD_END
 * of a sealed package fails with TEE_ERROR_ITEM_NOT_FOUND when no key has that id, and with
 * TEE_ERROR_MAC_INVALID when the key is wrong or the package was changed. No command returns
 * key material: a provisioned key can be used or deleted, never read.
 *   [0] VALUE_INPUT   a = key_id, b = 0
 *   [1] MEMREF_INPUT  the key, exactly TZI_MODEL_KEY_BYTES bytes
 *   [2] NONE  [3] NONE
 */
#define TZI_CMD_PROVISION_KEY 6

/*
 * DELETE_KEY: remove the key for key_id (rotation: provision the new id, re-seal, delete the old).
 *   [0] VALUE_INPUT   a = key_id, b = 0
 *   [1..3] NONE
 * TEE_ERROR_ITEM_NOT_FOUND when no key has that id.
 */
#define TZI_CMD_DELETE_KEY 7

/* Bytes of a model key (AES-256). */
#define TZI_MODEL_KEY_BYTES 32u

#endif
