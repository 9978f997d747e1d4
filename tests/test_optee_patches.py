"""Our OP-TEE core patches (meta-tzinfer-bsp/recipes-security/optee/files/), their failure paths
run on the host: the patched functions are cut out of the QEMU stack's patched optee_os tree
(the very source the stack boots) and compiled with stand-ins for the core functions they call.
The paths cannot be reached on a running board without breaking the core on purpose:

- 0001 (sec_mem_free): pages the core cannot map are never handed back uncleared: it panics
  rather than free them; reachable pages are zeroed and then freed.
- 0002 (leaves_user_va_entry): a core base that leaves no free 1 GiB entry for TA mappings is
  refused and logged, one that leaves one is taken silently; when every ASLR candidate is
  refused, init_mem_map says that ASLR is off for this boot.

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
    subprocess.run(["gcc", "-std=gnu11", "-O1", *warnings, "-o", str(exe), str(source)], check=True,
                   capture_output=True, text=True)
    return subprocess.run([str(exe), *args], check=True, capture_output=True, text=True).stdout


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
