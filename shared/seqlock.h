/* seqlock.h - a sequence lock for one writer and any number of readers in
 * other processes, after the kernel's vDSO time pages.
 *
 * The writer never waits. A reader copies the protected data and keeps the
 * copy only if the sequence was even and unchanged across the copy. The
 * payload is plain memory: a reader may copy a half-written payload, which is
 * why it must validate the copy, never the shared original.
 *
 * Costs: writer, two stores and one fence; reader, two loads and one fence. */
#ifndef LEAKTOP_SEQLOCK_H
#define LEAKTOP_SEQLOCK_H

#include <stdatomic.h>
#include <stdint.h>

/* Writer: makes the sequence odd. Returns the value to pass to _write_end. */
static inline uint32_t seqlock_write_begin(_Atomic uint32_t *seq)
{
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);
	atomic_store_explicit(seq, s + 1, memory_order_relaxed);
	/* W1: orders the odd sequence before the payload stores; pairs with R2. */
	atomic_thread_fence(memory_order_release);
	return s + 1;
}

/* Writer: makes the sequence even again, publishing the payload. */
static inline void seqlock_write_end(_Atomic uint32_t *seq, uint32_t s)
{
	/* W2: release orders the payload stores before the even sequence; pairs with R1. */
	atomic_store_explicit(seq, s + 1, memory_order_release);
}

/* Reader: returns the sequence to hand to _read_retry; odd means "busy". */
static inline uint32_t seqlock_read_begin(const _Atomic uint32_t *seq)
{
	/* R1: acquire pairs with W2, so a copy started on an even value sees
	 * at least the payload published with it. */
	return atomic_load_explicit((_Atomic uint32_t *)seq, memory_order_acquire);
}

/* Reader: non-zero when the copy made since _read_begin must be thrown away. */
static inline int seqlock_read_retry(const _Atomic uint32_t *seq, uint32_t s)
{
	/* R2: orders the payload loads before the re-read; pairs with W1, so a
	 * copy that raced with a writer sees the sequence moved. */
	atomic_thread_fence(memory_order_acquire);
	return (s & 1) || atomic_load_explicit((_Atomic uint32_t *)seq, memory_order_relaxed) != s;
}

#endif
