/* threads.h - the probe's thread registry and current-stack capture.
 *
 * Ownership: one registry per process, private to threads.c; the hooks and
 * the publisher call in. Every thread the program creates through
 * pthread_create gets a slot with its creation stack; threads the probe did
 * not see created (main, threads started before the probe) are found in
 * /proc/self/task. The registry has a fixed number of slots: when none is
 * free, the oldest ended thread's slot is reused, so the probe's memory
 * never grows with the count of ended threads; per creation site, counts
 * of created and ended threads survive the reuse.
 *
 * Where each thread is now: the publisher sends each thread that has run
 * since it was last asked a real-time signal (rt_tgsigqueueinfo, so the
 * handler knows it is ours), whose handler unwinds into the thread's slot.
 * The publisher waits for the answers until a deadline; a thread that
 * blocks the signal, is stuck in the kernel, or is inside the probe is
 * reported as such, never waited for. A thread that has not run since its
 * last answer keeps its stack without a signal. */
#ifndef LEAKTOP_THREADS_H
#define LEAKTOP_THREADS_H

#include <pthread.h>
#include <signal.h>

#include "../shared/shm.h"

/* Sets up the registry (slots, the calling thread as the first) and, unless
 * LEAKTOP_THREAD_STACKS=0 or the program already handles the signal,
 * installs the capture handler. 0, or -1 when out of memory. */
int threads_init(int (*real_sigaction)(int, const struct sigaction *, struct sigaction *));

/* pthread_create, with the new thread registered and its creation stack
 * (leaf first, from the frame that resumes at caller) recorded. */
int threads_create(int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                                      void *),
                   pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
                   const void *caller);

/* The program is setting the disposition of sig: if it is the capture
 * signal, capture stops for good, so the program's handler is never
 * called with ours. */
void threads_signal_taken(int sig);

/* Scans /proc/self/task, captures current stacks (at most once a second,
 * and not when final), and copies the registry into the segment, stamped
 * time_ns (the time of the snapshot it goes with). Called by the publisher
 * with the publication lock held. */
void threads_publish(struct lt_threads_header *h, uint64_t time_ns, int final);

/* Bytes the registry holds. */
uint64_t threads_bytes(void);

#endif
