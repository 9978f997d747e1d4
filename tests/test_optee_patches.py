"""Our OP-TEE core patches (meta-tzinfer-bsp/recipes-security/optee/files/), their failure paths
run on the host: the patched functions are cut out of the QEMU stack's patched optee_os tree
(the very source the stack boots) and compiled with stand-ins for the core functions they call.
The paths cannot be reached on a running board without breaking the core on purpose:

- 0001 (sec_mem_free): pages the core cannot map are never handed back uncleared: it panics
  rather than free them; reachable pages are zeroed and then freed.
- 0002 (leaves_user_va_entry): a core base that leaves no free 1 GiB entry for TA mappings is
  refused and logged, one that leaves one is taken silently; when every ASLR candidate is
  refused, init_mem_map says that ASLR is off for this boot.
- 0003 (admission of concurrent worker entries): on host threads, with the core's mutex and
  condition variables as pthreads'; tests/qemu/test_concurrent_entries.py runs it in the core.

That the patches apply (without fuzz) and the patched OS boots and passes xtest is shown by the
QEMU stack itself (tests/qemu/test_boot.py)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tzinfer.stack.layout import QemuStack

HARNESS_COMMON = r"""
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
typedef uintptr_t vaddr_t;
typedef uintptr_t paddr_t;
static jmp_buf panicked;
static const char *panic_message;
#define panic(...) do { panic_message = "" __VA_ARGS__; longjmp(panicked, 1); } while (0)
"""

SEC_MEM_HARNESS = HARNESS_COMMON + r"""
#define SMALL_PAGE_SIZE 4096u
enum teecore_memtypes { MEM_AREA_SEC_RAM_OVERALL };
struct fobj { size_t num_pages; int refc; };
struct fobj_sec_mem { struct fobj fobj; void *mm; };
static uint8_t pages[2 * SMALL_PAGE_SIZE];
static void *mapped;           /* what phys_to_virt returns: the pages, or NULL */
static int freed_to_pool;      /* tee_mm_free calls */
static struct fobj_sec_mem *to_sec_mem(struct fobj *fobj) { return (struct fobj_sec_mem *)fobj; }
static paddr_t tee_mm_get_smem(void *mm) { (void)mm; return 0x1000; }
static void *phys_to_virt(paddr_t pa, enum teecore_memtypes m, size_t len)
{ (void)pa; (void)m; (void)len; return mapped; }
static int refcount_val(int *r) { return *r; }
static void memtag_clear_mem(void *va, size_t len) { memset(va, 0, len); }
static void tee_mm_free(void *mm) { (void)mm; freed_to_pool++; }
static void stub_free(void *p) { (void)p; }
#define free stub_free
#define assert(x) do { if (!(x)) abort(); } while (0)
SEC_MEM_FREE
int main(int argc, char **argv)
{
	struct fobj_sec_mem f = { { 2, 0 }, pages };
	(void)argc;
	memset(pages, 0xa5, sizeof(pages));
	mapped = strcmp(argv[1], "unmapped") ? pages : NULL;
	if (setjmp(panicked)) {
		printf("panic: %s; freed %d; first byte %02x\n", panic_message, freed_to_pool, pages[0]);
		return 0;
	}
	sec_mem_free(&f.fobj);
	size_t nonzero = 0;
	for (size_t i = 0; i < sizeof(pages); i++)
		nonzero += pages[i] != 0;
	printf("returned; freed %d; nonzero %zu\n", freed_to_pool, nonzero);
	return 0;
}
"""

USER_VA_HARNESS = HARNESS_COMMON + r"""
#define SMALL_PAGE_SIZE 4096u
#define BIT64(n) (UINT64_C(1) << (n))
#define ROUNDDOWN(v, s) ((v) & ~((vaddr_t)(s) - 1))
#define ROUNDUP(v, s) (((v) + (s) - 1) & ~((vaddr_t)(s) - 1))
#define IS_ENABLED(x) 1
#define IMSG(...) (printf("IMSG: " __VA_ARGS__), printf("\n"))
struct tee_mmap_region { vaddr_t va; size_t size; };
struct memory_map { size_t count; struct tee_mmap_region *map; };
static bool core_is_buffer_intersect(vaddr_t b, size_t bl, vaddr_t a, size_t al)
{ return a < b + bl && b < a + al; }
LEAVES_USER_VA_ENTRY
int main(void)
{
	const vaddr_t G = BIT64(30);
	/* The identity map in entry 0; the core map across entries 1|2 and 2|3: none left. */
	struct tee_mmap_region full[] = { { 2 * G - 0x100000, 0x200000 }, { 3 * G - 0x100000, 0x200000 } };
	/* The core map inside entry 3 only: entries 1 and 2 stay free. */
	struct tee_mmap_region room[] = { { 3 * G + 0x100000, 0x4000000 } };
	struct memory_map a = { 2, full }, b = { 1, room };
	printf("full: %d\n", leaves_user_va_entry(&a, 0x0e100000, 0x0e101000));
	printf("room: %d\n", leaves_user_va_entry(&b, 0x0e100000, 0x0e101000));
	return 0;
}
"""


def function(source: str, signature: str) -> str:
    """The text of one C function of `source`, from its signature line to its closing brace."""
    start = source.index(signature)
    end = source.index("\n}\n", start) + 3
    return source[start:end]


@pytest.fixture(scope="module")
def patched(qemu_stack: QemuStack) -> Path:
    tree = qemu_stack.root / "optee-src"
    assert (tree / ".tzinfer-patched").is_file(), "the stack's OP-TEE tree is not the patched one"
    return tree


def build_and_run(harness: str, tmp_path: Path, *args: str) -> str:
    source = tmp_path / "harness.c"
    source.write_text(harness)
    exe = tmp_path / "harness"
    warnings = ["-Wall", "-Werror", "-Wno-unused-function", "-Wno-unused-variable"]  # stand-ins unused
    subprocess.run(["gcc", "-std=gnu11", "-O1", "-pthread", *warnings, "-o", str(exe), str(source)],
                   check=True, capture_output=True, text=True)
    return subprocess.run([str(exe), *args], check=True, capture_output=True, text=True, timeout=120).stdout


def test_0001_zeroises_released_pages_and_panics_when_it_cannot(patched: Path, tmp_path: Path) -> None:
    code = function((patched / "core/mm/fobj.c").read_text(), "static void sec_mem_free(struct fobj *fobj)")
    harness = SEC_MEM_HARNESS.replace("SEC_MEM_FREE", code)
    assert build_and_run(harness, tmp_path, "mapped").strip() == "returned; freed 1; nonzero 0"
    out = build_and_run(harness, tmp_path, "unmapped").strip()
    # Panicked before the pages went back to the pool, which still holds them as they were.
    assert out == "panic: TA pages to release are not mapped: cannot zeroise them; freed 0; first byte a5"


def test_0002_refuses_and_logs_a_base_without_a_user_va_entry(patched: Path, tmp_path: Path) -> None:
    source = (patched / "core/mm/core_mmu.c").read_text()
    code = function(source, "static bool leaves_user_va_entry(")
    out = build_and_run(USER_VA_HARNESS.replace("LEAVES_USER_VA_ENTRY", code), tmp_path)
    assert out.splitlines() == ["IMSG: ASLR: no free 1 GiB entry for TAs at this base, next one",
                                "full: 0", "room: 1"]


def test_0002_says_when_aslr_falls_back_to_the_physical_address(patched: Path) -> None:
    """The fallback after the candidate loop (init_mem_map cannot run outside the core)."""
    init = function((patched / "core/mm/core_mmu.c").read_text(), "static struct memory_map *init_mem_map(")
    fallback = re.search(r'EMSG\("Failed to map core with seed %#lx", seed\);\s*'
                         r'EMSG\("Core ASLR off for this boot: core at physical address %#"\s*PRIxVA, '
                         r'start_addr\);\s*\}\s*if \(!assign_mem_va\(start_addr, mem_map\)\)', init)
    assert fallback, init


ADMISSION_HARNESS = HARNESS_COMMON + r"""
#include <pthread.h>
#include <unistd.h>
#define assert(x) do { if (!(x)) abort(); } while (0)
#define BIT32(n) (UINT32_C(1) << (n))
#define GENMASK_32(h, l) ((UINT32_MAX >> (31 - (h))) & ~(BIT32(l) - 1))
#define CFG_TA_CONCURRENT_ENTRIES 2
#define TEE_NUM_PARAMS 4
#define TEE_PARAM_TYPE_GET(t, i) (((t) >> ((i) * 4)) & 0xf)
enum { TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
       TEE_PARAM_TYPE_VALUE_INOUT, TEE_PARAM_TYPE_MEMREF_INPUT = 5 };
#define TA_FLAG_SINGLE_INSTANCE BIT32(2)
#define TA_FLAG_MULTI_SESSION BIT32(3)
#define TA_FLAG_CONCURRENT BIT32(8)
#define TA_FLAG_CONCURRENT_WORKERS BIT32(14)
#define TA_CMD_WORKER_BIT BIT32(31)
#define THREAD_ID_INVALID -1
/* The core's mutex and condition variable, and its per-thread data, on pthreads. */
struct mutex { pthread_mutex_t m; };
struct condvar { pthread_cond_t c; };
static void mutex_lock(struct mutex *m) { pthread_mutex_lock(&m->m); }
static void mutex_unlock(struct mutex *m) { pthread_mutex_unlock(&m->m); }
static void condvar_wait(struct condvar *c, struct mutex *m) { pthread_cond_wait(&c->c, &m->m); }
static void condvar_signal(struct condvar *c) { pthread_cond_signal(&c->c); }
static void condvar_broadcast(struct condvar *c) { pthread_cond_broadcast(&c->c); }
struct ts_ctx { int unused; };
struct thread_specific_data { struct ts_ctx *worker_ctx; unsigned int worker_slot; };
static __thread struct thread_specific_data tsd;
static __thread short int thread_id;
static struct thread_specific_data *thread_get_tsd(void) { return &tsd; }
static short int thread_get_id(void) { return thread_id; }
struct tee_ta_ctx {
	uint32_t flags; struct ts_ctx ts_ctx; bool busy; struct condvar busy_cv;
	uint32_t worker_slots; unsigned int exclusive_waiting;
};
struct tee_ta_param { uint32_t types; };
static struct mutex tee_ta_mutex = { PTHREAD_MUTEX_INITIALIZER };
static struct condvar tee_ta_cv = { PTHREAD_COND_INITIALIZER };
static short int tee_ta_single_instance_thread = THREAD_ID_INVALID;
static size_t tee_ta_single_instance_count;
ADMISSION
static struct tee_ta_ctx ctx = {
	TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION | TA_FLAG_CONCURRENT_WORKERS, { 0 }, false,
	{ PTHREAD_COND_INITIALIZER }, 0, 0 };
/* One entry per thread: it enters, says so, and leaves when main lets it. */
struct entry { short int id; bool worker, admitted, inside, let_go, left; unsigned int slot; };
static struct mutex state = { PTHREAD_MUTEX_INITIALIZER };
static bool get(bool *flag) { mutex_lock(&state); bool v = *flag; mutex_unlock(&state); return v; }
static void set(bool *flag) { mutex_lock(&state); *flag = true; mutex_unlock(&state); }
static void *run(void *arg)
{
	struct entry *e = arg;
	thread_id = e->id;
	e->admitted = e->worker ? enter_worker(&ctx) : tee_ta_try_set_busy(&ctx);
	e->slot = tsd.worker_slot;
	set(&e->inside);
	if (!e->admitted)
		return NULL;
	while (!get(&e->let_go))
		usleep(1000);
	const char *name = e->id == 1 ? "w1" : e->id == 2 ? "w2" : "w4";

	if (e->worker)
		printf("%s leaves%s\n", name, leave_worker(&ctx) ? ", the last worker" : "");
	else
		tee_ta_clear_busy(&ctx);
	set(&e->left);
	return NULL;
}
/* Whether the entry got in (or was refused) within ms milliseconds. */
static bool inside_within(struct entry *e, int ms)
{
	for (int i = 0; i < ms && !get(&e->inside); i++)
		usleep(1000);
	return get(&e->inside);
}
/* An entry that should get in has 10 s (a loaded host); one that should wait is watched 300 ms. */
static bool in_eventually(struct entry *e) { return inside_within(e, 10000); }
static bool in_at_once(struct entry *e) { return inside_within(e, 300); }
/* An entry that cannot leave within 5 s is stuck (a broken admission): stop there. */
static void wait_left(struct entry *e)
{
	for (int i = 0; i < 5000 && !get(&e->left); i++)
		usleep(1000);
	if (!get(&e->left)) {
		printf("stuck\n");
		exit(0);
	}
}
int main(void)
{
	struct tee_ta_param values = { TEE_PARAM_TYPE_VALUE_INPUT | TEE_PARAM_TYPE_VALUE_OUTPUT << 4 };
	struct tee_ta_param memref = { TEE_PARAM_TYPE_VALUE_INPUT | TEE_PARAM_TYPE_MEMREF_INPUT << 8 };
	struct entry w1 = { 1, true }, w2 = { 2, true }, w3 = { 3, true };
	struct entry e = { 4, false }, w4 = { 5, true };
	pthread_t t[5];
	uint32_t plain_flags = ctx.flags;

	printf("worker entry: %d", is_worker_entry(&ctx, TA_CMD_WORKER_BIT | 7, &values));
	printf(", no bit 31: %d", is_worker_entry(&ctx, 7, &values));
	printf(", memref: %d", is_worker_entry(&ctx, TA_CMD_WORKER_BIT | 7, &memref));
	ctx.flags &= ~TA_FLAG_CONCURRENT_WORKERS;
	printf(", TA without the flag: %d\n", is_worker_entry(&ctx, TA_CMD_WORKER_BIT | 7, &values));
	ctx.flags = plain_flags;
	pthread_create(&t[0], NULL, run, &w1);
	pthread_create(&t[1], NULL, run, &w2);
	/* (in_eventually() first: it makes the entry's fields safe to read.) */
	bool in = in_eventually(&w1) && in_eventually(&w2);
	printf("w1 in: %d, w2 in: %d", in && w1.admitted, in && w2.admitted);
	/* In either order: whichever thread came first has slot 0. */
	printf(", slots {%u, %u}\n", w1.slot * w2.slot, w1.slot + w2.slot);
	pthread_create(&t[2], NULL, run, &w3);
	in = in_eventually(&w3);
	printf("w3 with every slot taken: returned %d, admitted %d\n", in, w3.admitted);
	pthread_create(&t[3], NULL, run, &e);
	printf("exclusive while workers run: in %d\n", in_at_once(&e));
	pthread_create(&t[4], NULL, run, &w4);
	printf("worker while an exclusive entry waits: in %d\n", in_at_once(&w4));
	set(&w1.let_go);
	wait_left(&w1);
	printf("exclusive after one worker left: in %d\n", in_at_once(&e));
	set(&w2.let_go);
	wait_left(&w2);
	in = in_eventually(&e);
	printf("exclusive after the last worker left: in %d, busy %d\n", in, ctx.busy);
	printf("worker while the exclusive entry runs: in %d\n", in_at_once(&w4));
	set(&e.let_go);
	wait_left(&e);
	in = in_eventually(&w4);
	printf("worker after the exclusive entry: in %d, slot %u\n", in && w4.admitted, w4.slot);
	set(&w4.let_go);
	wait_left(&w4);
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	printf("end: slots %u, waiting %u, busy %d\n", ctx.worker_slots, ctx.exclusive_waiting, ctx.busy);
	return 0;
}
"""


def test_0003_admits_workers_side_by_side_and_exclusive_entries_alone(patched: Path, tmp_path: Path) -> None:
    """Patch 0003's admission on host threads (the core's mutex and condvars as pthreads'): two
    worker entries share the context, a third finds no slot, an exclusive entry waits for both to
    leave while later workers wait behind it, and those come in after it."""
    source = (patched / "core/kernel/tee_ta_manager.c").read_text()
    locking = source[source.index("#else\nstatic void lock_single_instance(void)") + len("#else\n"):]
    code = "\n".join([
        function(locking, "static void lock_single_instance(void)"),
        function(locking, "static void unlock_single_instance(void)"),
        function(locking, "static bool has_single_instance_lock(void)"),
        function(source, "static bool tee_ta_try_set_busy(struct tee_ta_ctx *ctx)"),
        function(source, "static void tee_ta_clear_busy(struct tee_ta_ctx *ctx)"),
        function(source, "static bool is_worker_entry("),
        function(source, "static bool enter_worker(struct tee_ta_ctx *ctx)"),
        function(source, "static bool leave_worker(struct tee_ta_ctx *ctx)"),
    ])
    out = build_and_run(ADMISSION_HARNESS.replace("ADMISSION", code), tmp_path)
    assert out.splitlines() == [
        "worker entry: 1, no bit 31: 0, memref: 0, TA without the flag: 0",
        "w1 in: 1, w2 in: 1, slots {0, 1}",
        "w3 with every slot taken: returned 1, admitted 0",
        "exclusive while workers run: in 0",
        "worker while an exclusive entry waits: in 0",
        "w1 leaves",
        "exclusive after one worker left: in 0",
        "w2 leaves, the last worker",
        "exclusive after the last worker left: in 1, busy 1",
        "worker while the exclusive entry runs: in 0",
        "worker after the exclusive entry: in 1, slot 0",
        "w4 leaves, the last worker",
        "end: slots 0, waiting 0, busy 0",
    ]
