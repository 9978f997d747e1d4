/* Force inlining where a constant argument must specialise a kernel (tile sizes, kernel sizes). */
#ifndef STL_INLINE_H
#define STL_INLINE_H

#if defined(__GNUC__)
#define STL_INLINE static inline __attribute__((always_inline))
#else
#define STL_INLINE static inline
#endif

/* Unroll the next loop completely (its trip count is a constant where the kernel is specialised),
 * where gcc's own size limits would stop short and leave register arrays in memory. gcc only:
 * clang fails a requested unroll it cannot do (-Wpass-failed, the sanitizer builds). */
#if defined(__GNUC__) && !defined(__clang__)
#define STL_UNROLL _Pragma("GCC unroll 16")
#else
#define STL_UNROLL
#endif

#endif
