/*
 * libtzinfer: run tzinfer models (.tzm, or sealed .tzms) inside the S-Tinylib Trusted
 * Application from a normal-world application, with the model resident between runs.
 *
 *   tzi_session *s = NULL;
 *   if (tzi_open(&s) != TZI_OK) { fprintf(stderr, "%s\n", tzi_errmsg(s)); tzi_close(s); ... }
 *   tzi_load_file(s, "/usr/share/tzinfer/models/mobilenetv2.tzm", TZI_KEY_ID_ANY);
 *   struct tzi_input in = { "input", image, sizeof(image) };
 *   struct tzi_output out = { "output", scores, sizeof(scores) };
 *   tzi_run(s, &in, 1, &out, 1);      (as often as needed: the model stays loaded)
 *   tzi_close(s);
 *
 * Every call returns a tzi_status; tzi_errmsg(s) gives the sentence for the session's last
 * failure (its cause and the fix, and the raw TEE result). The library never prints.
 *
 * Threads. A session is used by one thread at a time, except tzi_cancel(), which any thread may
 * call while another runs. Sessions are independent (each has its own TEE context), so several
 * threads may each use their own session at once. What they share is the TA, which OP-TEE runs as
 * one instance for all sessions of the device (docs/integrating.md, "What sessions share"): its
 * heap, its key store, and its execution: the TA runs one command at a time, so a RUN in one
 * session waits for a RUN in another to finish. The exception is a session's own team
 * (tzi_set_threads): its runs use several cores at once, on an OP-TEE built for it.
 *
 * Versions. TZINFER_VERSION_* is this header's version; the shared library's soname is
 * libtzinfer.so.TZINFER_VERSION_MAJOR. A minor release only adds (functions, status codes,
 * fields at the end of structs the caller never allocates); a change that breaks a program
 * built against an older header bumps the major version, and with it the soname.
 */
#ifndef TZINFER_H
#define TZINFER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TZINFER_VERSION_MAJOR 1
#define TZINFER_VERSION_MINOR 2
#define TZINFER_VERSION_PATCH 0

typedef enum tzi_status {
	TZI_OK = 0,
	TZI_E_ARGUMENT,        /* the caller passed an invalid argument (NULL, size 0, ...) */
	TZI_E_NO_MEMORY,       /* the normal world ran out of memory */
	TZI_E_FILE,            /* the model file cannot be read */
	TZI_E_NO_TEE,          /* no TEE device: the OP-TEE driver is not loaded */
	TZI_E_NO_TA,           /* the TA is not installed, or tee-supplicant is not running */
	TZI_E_TA_SIGNATURE,    /* OP-TEE refused the TA's signature */
	TZI_E_TA_MEMORY,       /* OP-TEE has no room for the TA and its heap */
	TZI_E_BUSY,            /* the TA is busy with another client */
	TZI_E_SHARED_MEMORY,   /* OP-TEE gave no shared memory */
	TZI_E_VERSION,         /* the TA speaks another interface version: install both from one build */
	TZI_E_STATE,           /* out of order: no model loaded, or one already is */
	TZI_E_MODEL_FORMAT,    /* the engine refused the model (not a valid .tzm) */
	TZI_E_MODEL_TOO_LARGE, /* the model and its arena exceed the session's quota, or the TA heap
	                          has no room for them now */
	TZI_E_KEY_ID,          /* the model is not sealed for the key id the caller asked for */
	TZI_E_KEY_NOT_FOUND,   /* sealed for a key id that is not provisioned */
	TZI_E_AUTHENTICATION,  /* the sealed package failed authentication (wrong key, changed) */
	TZI_E_INPUT,           /* an input is unknown, missing, repeated or of the wrong size */
	TZI_E_OUTPUT,          /* an output is unknown, repeated or its buffer has the wrong size */
	TZI_E_CANCELLED,       /* the run was cancelled (tzi_cancel) */
	TZI_E_ENGINE,          /* the engine failed while running the model */
	TZI_E_ACCESS_DENIED,   /* the TA refused the caller (key management for non-admins, a
	                          plaintext model on a sealed-only TA) */
	TZI_E_STORAGE,         /* OP-TEE secure storage failed (keys) */
	TZI_E_TA_CRASHED,      /* the TA died; the session is unusable: close it */
	TZI_E_COMMUNICATION,   /* the connection to OP-TEE failed */
	TZI_E_TA_REFUSED,      /* the TA refused a request this library believes valid */
	TZI_E_ROLLBACK,        /* the sealed package's model version is below its key id's minimum */
	TZI_E_KEY_EXISTS,      /* the key id has a key: provision with TZI_PROVISION_REPLACE */
	TZI_E_KEYS_LOCKED,     /* key management is locked on this device (tzi_lock_keys) */
	TZI_E_TIMEOUT,         /* the run passed its time limit (tzi_set_time_limit) */
	TZI_STATUS_COUNT       /* not a status: the number of them */
} tzi_status;

typedef struct tzi_session tzi_session;

/* Element types of inputs and outputs (the .tzm format has float32 only). */
enum tzi_dtype { TZI_DTYPE_FLOAT32 = 0 };

#define TZI_MAX_DIMS 6

/* tzi_load_*'s key_id: accept a plaintext model or a package sealed for any key. */
#define TZI_KEY_ID_ANY 0u

/* tzi_provision_key's flags: overwrite the key the key id already has. */
#define TZI_PROVISION_REPLACE 1u

/* Sizes of tzi_device_key's key, and of tzi_attest's nonce and report. */
#define TZI_DEVICE_KEY_LEN 65
#define TZI_NONCE_LEN 32
#define TZI_ATTEST_REPORT_LEN 216

/* One input or output of the loaded model. name points into the session until the next load,
 * unload or close. */
struct tzi_tensor_info {
	const char *name;
	uint32_t dtype;                 /* enum tzi_dtype */
	uint32_t ndim;
	uint32_t dims[TZI_MAX_DIMS];    /* dims[0 .. ndim) */
	size_t bytes;                   /* the tensor's size: product of dims × 4 */
};

/* An input of tzi_run: the tensor for the model input `name`, exactly its bytes. */
struct tzi_input {
	const char *name;
	const void *data;
	size_t bytes;
};

/* An output of tzi_run: where to put the model output `name`, exactly its bytes. */
struct tzi_output {
	const char *name;
	void *data;
	size_t bytes;
};

/* What this session costs and how long its last load and run took. */
struct tzi_stats {
	uint64_t model_bytes;          /* the model file held in secure memory */
	uint64_t arena_bytes;          /* its activation arena in secure memory */
	uint64_t weights_bytes;
	uint64_t secure_in_use_bytes;  /* secure buffers the TA holds for this session now */
	uint64_t secure_peak_bytes;    /* the most it held at once for this session */
	uint64_t secure_limit_bytes;   /* the most it may hold for one session (its quota) */
	uint32_t last_run_us;          /* the last RUN's engine time in the TA (1 ms resolution) */
	double load_transfer_ms;       /* last load: sending the file into secure memory */
	double load_verify_ms;         /* last load: verification (SHA-256, decryption) and arena */
	double last_round_trip_ms;     /* the last tzi_run, as this process saw it */
	uint64_t runs;                 /* successful runs of the loaded model */
	uint64_t cancelled_runs;       /* runs of the loaded model that ended TZI_E_CANCELLED or
	                                  TZI_E_TIMEOUT */
};

/* "1.0.0": the version of the library actually loaded. */
const char *tzi_version(void);

/* Open a session with the TA, logged in as the calling user (TEEC_LOGIN_USER): the TA lets
 * root manage keys. *out is set even when this fails (except when out of memory: then it is
 * NULL), so that tzi_errmsg(*out) can say why; always tzi_close() it. */
tzi_status tzi_open(tzi_session **out);

/* The same, logged in as group gid (TEEC_LOGIN_GROUP; the kernel allows it for a group the
 * process is in): key management for the administrators' group the TA was built to trust. */
tzi_status tzi_open_group(tzi_session **out, uint32_t gid);

/* The size of the shared-memory window the model is sent through, 1 ... 4 MiB (the default).
 * A smaller one costs more calls into the TA and less shared memory. */
tzi_status tzi_set_upload_chunk(tzi_session *s, size_t bytes);

/* Close the session: the TA wipes and frees its model. NULL is ignored. */
void tzi_close(tzi_session *s);

/* Load a model (a .tzm, or a sealed package) into the TA, replacing the session's model. The TA
 * verifies it completely (SHA-256, and decryption for a sealed package) before it is usable.
 * key_id: TZI_KEY_ID_ANY, or the key id the package must be sealed for (a plaintext model or one
 * sealed for another key is then refused with TZI_E_KEY_ID, before it is sent). */
tzi_status tzi_load_file(tzi_session *s, const char *path, uint32_t key_id);
tzi_status tzi_load_buffer(tzi_session *s, const void *model, size_t len, uint32_t key_id);

/* Wipe and free the loaded model in the TA (nothing when none is loaded). */
tzi_status tzi_unload(tzi_session *s);

/* The loaded model's inputs and outputs, in the model's order (0 counts without a model). */
uint32_t tzi_input_count(const tzi_session *s);
uint32_t tzi_output_count(const tzi_session *s);
tzi_status tzi_input_info(const tzi_session *s, uint32_t i, struct tzi_tensor_info *info);
tzi_status tzi_output_info(const tzi_session *s, uint32_t i, struct tzi_tensor_info *info);

/* One inference. in: every model input once, by name, in any order. out: the outputs wanted,
 * by name, in any order (a subset is fine; n_out 0 runs for nothing). A name may be NULL in a
 * call that lists every input (or output) in the model's order. Sizes must be exact. */
tzi_status tzi_run(tzi_session *s, const struct tzi_input *in, size_t n_in,
		   struct tzi_output *out, size_t n_out);

/* The engine time of the session's last successful run, measured in the TA (TEE_GetSystemTime,
 * 1 ms resolution), in microseconds; 0 before the first. Asks nothing of the TA. */
uint32_t tzi_last_run_us(const tzi_session *s);

/*
 * Run the session's model on `threads` cores (docs/multicore.md): 1 (the default) runs it as
 * always (RUN); 2 or more make each tzi_run a team run of this session and threads - 1 worker
 * sessions it opens and joins (TEAM_OPEN, TEAM_JOIN), computing the same outputs bit for bit. The
 * team is opened at the next tzi_run and closed by tzi_unload, a new load, tzi_close or another
 * tzi_set_threads. TZI_E_ARGUMENT for 0, or more threads than the TA has worker slots
 * (tzi_worker_slots: ta_worker_slots in the board's memory map). On an OP-TEE without concurrent
 * entries the team's calls run one after another: correct, not faster.
 */
tzi_status tzi_set_threads(tzi_session *s, uint32_t threads);

/*
 * Limit each later tzi_run of the session to `seconds` in the TA (0, the default: no limit). The
 * TA checks the limit by its own clock between two ops and stops a run past it: tzi_run returns
 * TZI_E_TIMEOUT, the model stays loaded. So a run ends at most one op after its limit, whatever
 * the normal world's scheduler does (a tzi_cancel from a timer thread can be late when that
 * thread waits for a core). TZI_E_ARGUMENT for a negative, NaN or too large (over 49 days) limit.
 */
tzi_status tzi_set_time_limit(tzi_session *s, double seconds);

/* How many entries the TA may run at once (STATS): the most tzi_set_threads accepts. */
uint32_t tzi_worker_slots(const tzi_session *s);

/* Cancel the session's run in flight, from any thread. The TA stops it between two ops and
 * tzi_run returns TZI_E_CANCELLED; the model stays loaded. TZI_OK when a run was in flight and
 * the request was sent (it may still finish first), TZI_E_STATE when none was. */
tzi_status tzi_cancel(tzi_session *s);

/* The session's figures (asks the TA). */
tzi_status tzi_get_stats(tzi_session *s, struct tzi_stats *stats);

/* Key management (root, or the administrators' group: docs/security.md): store the 32-byte
 * model key for key_id in the TA's secure storage (flags: TZI_PROVISION_REPLACE to overwrite
 * one), delete it, or lock key management on this device for good (until a factory reset). */
tzi_status tzi_provision_key(tzi_session *s, uint32_t key_id, const void *key, size_t len,
			     uint32_t flags);
tzi_status tzi_delete_key(tzi_session *s, uint32_t key_id);
tzi_status tzi_lock_keys(tzi_session *s);

/* Attested results (docs/security.md): with tzi_set_attest(s, 1) before tzi_load_*, the TA hashes
 * the model and each run's inputs and outputs; tzi_attest then has it sign the last successful
 * run's hashes and the verifier's nonce with the device key, whose public half (an uncompressed
 * P-256 point) tzi_device_key gives. Check a report with `tzinfer verify`. */
tzi_status tzi_set_attest(tzi_session *s, int attest);
tzi_status tzi_attest(tzi_session *s, const uint8_t nonce[TZI_NONCE_LEN],
		      uint8_t report[TZI_ATTEST_REPORT_LEN]);
tzi_status tzi_device_key(tzi_session *s, uint8_t key[TZI_DEVICE_KEY_LEN]);

/* "TZI_E_INPUT": the status' name. */
const char *tzi_status_name(tzi_status status);

/* A short sentence on what the status means, the same for every call. */
const char *tzi_status_message(tzi_status status);

/* The sentence for the session's last failed call: its cause, the fix, and the raw TEE result
 * ("[TEEC 0x... from TA]") when the TEE was involved. "" when the last call succeeded; a fixed
 * sentence for a NULL session (tzi_open out of memory). Valid until the session's next call. */
const char *tzi_errmsg(const tzi_session *s);

#ifdef __cplusplus
}
#endif

#endif
