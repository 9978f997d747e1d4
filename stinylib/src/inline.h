/* Force inlining where a constant argument must specialise a kernel (tile sizes, kernel sizes). */
#ifndef STL_INLINE_H
#define STL_INLINE_H

#if defined(__GNUC__)
#define STL_INLINE static inline __attribute__((always_inline))
#else
#define STL_INLINE static inline
#endif

#endif
