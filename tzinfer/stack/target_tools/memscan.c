/*
 * memscan: count the 4 KiB pages of a physical address range that are not all zero,
 * read through /dev/mem.
 *
 * Used on the QEMU target to check OP-TEE's TA RAM pool from the normal world (QEMU's
 * TZDRAM carve-out in DDR is reserved, not protected, like the Pi 3's secure DRAM). With no
 * TA instance alive, a non-zero page in the pool is what a TA left behind. (OP-TEE's user
 * page tables live in core memory, not in the pool, unless CFG_CORE_PREALLOC_EL0_TBLS=y.)
 *
 * Usage: memscan BASE SIZE     (hex or decimal)
 * Prints one line: memscan base=0x... size=0x... pages=N zero=Z nonzero=D first_nonzero=0x...
 *
 * Usage: memscan BASE SIZE HEX  (HEX: a byte pattern, e.g. 00ff13..., at most 64 bytes)
 * Searches the range for the pattern (e.g. a window of a model's plaintext weights) and prints
 * memscan base=0x... size=0x... pages=N matches=M, then one line "match=0x..." per match
 * (the first MAX_LISTED).
 *
 * Usage: memscan --file PATH HEX
 * The same search in a file: prints memscan file=PATH size=N matches=M and the match lines (file
 * offsets). Used on the shared-memory trace of teec-trace.so (teec_trace.c), too large to
 * search over the console from the host.
 */
#define _DEFAULT_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096u
#define WORDS (PAGE / sizeof(uint64_t))
#define MAX_PATTERN 64u
#define MAX_LISTED 16u

static int is_zero(const volatile uint64_t *page)
{
	for (size_t i = 0; i < WORDS; i++)
		if (page[i])
			return 0;
	return 1;
}

static int parse(const char *text, uint64_t *value)
{
	char *end = NULL;

	errno = 0;
	*value = strtoull(text, &end, 0);
	return errno || !*text || *end;
}

/* Hex digits to bytes; the pattern's length, or 0 if `hex` is not 1..MAX_PATTERN bytes of hex. */
static size_t parse_hex(const char *hex, uint8_t *out)
{
	size_t len = strlen(hex);

	if (!len || len % 2 || len / 2 > MAX_PATTERN)
		return 0;
	for (size_t i = 0; i < len / 2; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		char *end = NULL;

		out[i] = (uint8_t)strtoul(byte, &end, 16);
		if (*end || !isxdigit((unsigned char)byte[0]))
			return 0;
	}
	return len / 2;
}

/* Where search() reads from: an uncached /dev/mem mapping, or a file. */
struct source {
	const volatile uint64_t *map; /* NULL: read fd */
	int fd;
};

/*
 * The PAGE bytes at `off` into `page`; the number read (fewer only at a file's end). The O_SYNC
 * mapping is uncached, where an unaligned load may fault: it is read with aligned 64-bit loads.
 */
static size_t fill(const struct source *src, uint64_t off, uint8_t *page)
{
	size_t got = 0;

	if (src->map) {
		uint64_t words[WORDS];

		for (size_t i = 0; i < WORDS; i++)
			words[i] = src->map[off / sizeof(uint64_t) + i];
		memcpy(page, words, PAGE);
		return PAGE;
	}
	while (got < PAGE) {
		ssize_t n = pread(src->fd, page + got, PAGE - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "memscan: read: %s\n", strerror(errno));
			exit(1);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/*
 * Count the occurrences of pattern in the first `size` bytes of `src`, page by page, each page
 * searched behind the last len - 1 bytes of the page before (matches across pages). Matches are
 * listed as base + their offset.
 */
static uint64_t search(const struct source *src, uint64_t base, uint64_t size,
		       const uint8_t *pattern, size_t len)
{
	static uint8_t buf[MAX_PATTERN + PAGE];
	size_t carry = 0;
	uint64_t matches = 0;

	for (uint64_t off = 0; off < size; off += PAGE) {
		size_t got = fill(src, off, buf + carry);

		for (size_t i = 0; i + len <= carry + got; i++) {
			if (buf[i] != pattern[0] || memcmp(buf + i, pattern, len))
				continue;
			if (matches++ < MAX_LISTED)
				printf("match=0x%llx\n", (unsigned long long)(base + off - carry + i));
		}
		if (got < PAGE)
			break;
		memmove(buf, buf + carry + PAGE - (len - 1), len - 1);
		carry = len - 1;
	}
	return matches;
}

/* memscan --file PATH HEX: the pattern's matches in a file (e.g. teec-trace.so's trace). */
static int scan_file(const char *path, const uint8_t *pattern, size_t len)
{
	struct source src = { NULL, open(path, O_RDONLY) };
	struct stat st;
	uint64_t matches = 0;

	if (src.fd < 0 || fstat(src.fd, &st) != 0) {
		fprintf(stderr, "memscan: %s: %s\n", path, strerror(errno));
		return 1;
	}
	matches = search(&src, 0, (uint64_t)st.st_size, pattern, len);
	printf("memscan file=%s size=%llu matches=%llu\n", path, (unsigned long long)st.st_size,
	       (unsigned long long)matches);
	close(src.fd);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t base = 0;
	uint64_t size = 0;
	uint64_t nonzero = 0;
	uint64_t first_nonzero = 0;
	int fd = -1;
	volatile uint64_t *map = NULL;
	uint8_t pattern[MAX_PATTERN];
	size_t pattern_len = 0;

	if (argc == 4)
		pattern_len = parse_hex(argv[3], pattern);
	if (argc == 4 && pattern_len && !strcmp(argv[1], "--file"))
		return scan_file(argv[2], pattern, pattern_len);
	if (argc < 3 || argc > 4 || (argc == 4 && !pattern_len) ||
	    parse(argv[1], &base) || parse(argv[2], &size) ||
	    base % PAGE || size % PAGE || !size) {
		fprintf(stderr, "usage: memscan BASE SIZE [HEX-PATTERN] (page-aligned, e.g. 0x70200000 "
			"0x3e00000; pattern at most %u bytes)\n       memscan --file PATH HEX-PATTERN\n",
			MAX_PATTERN);
		return 2;
	}
	fd = open("/dev/mem", O_RDONLY | O_SYNC);
	if (fd < 0) {
		fprintf(stderr, "memscan: /dev/mem: %s (run as root on a kernel with CONFIG_DEVMEM)\n",
			strerror(errno));
		return 1;
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, (off_t)base);
	if (map == MAP_FAILED) {
		fprintf(stderr, "memscan: mmap 0x%llx+0x%llx: %s (the range must not be System RAM)\n",
			(unsigned long long)base, (unsigned long long)size, strerror(errno));
		return 1;
	}
	if (pattern_len) {
		struct source src = { map, fd };
		uint64_t matches = search(&src, base, size, pattern, pattern_len);

		printf("memscan base=0x%llx size=0x%llx pages=%llu matches=%llu\n",
		       (unsigned long long)base, (unsigned long long)size,
		       (unsigned long long)(size / PAGE), (unsigned long long)matches);
		munmap((void *)map, size);
		close(fd);
		return 0;
	}
	for (uint64_t off = 0; off < size; off += PAGE) {
		if (is_zero(map + off / sizeof(uint64_t)))
			continue;
		if (!nonzero)
			first_nonzero = base + off;
		nonzero++;
	}
	printf("memscan base=0x%llx size=0x%llx pages=%llu zero=%llu nonzero=%llu first_nonzero=0x%llx\n",
	       (unsigned long long)base, (unsigned long long)size,
	       (unsigned long long)(size / PAGE), (unsigned long long)(size / PAGE - nonzero),
	       (unsigned long long)nonzero, (unsigned long long)first_nonzero);
	munmap((void *)map, size);
	close(fd);
	return 0;
}
