/* unwind_rules.h - a per-return-address cache of how to unwind a frame.
 *
 * Owns one process-wide table of rules (512 KiB, mapped at init) and a
 * scratch stack for learning them; unwind.c owns libunwind and hands this
 * module the three libunwind calls it learns with. x86-64 only: elsewhere
 * rules_walk always answers -1 and libunwind does every capture. */
#ifndef LEAKTOP_UNWIND_RULES_H
#define LEAKTOP_UNWIND_RULES_H

#include <stdint.h>

/* libunwind's unw_init_local, unw_step and unw_get_reg, as void pointers
 * so that this header needs no libunwind.h. */
struct rules_unwinder {
	void *init_local;
	void *step;
	void *get_reg;
};

/* Maps the table and the scratch stack. 0, or -1 when either cannot be
 * mapped (every walk then answers -1). */
int rules_init(const struct rules_unwinder *u);

/* Walks the calling thread's stack by cached rules, learning a rule for each
 * return address not seen before: writes up to cap return addresses, the
 * caller of rules_walk first, and stops `past` frames after the first one
 * equal to caller (caller's own included; 0 matches none). stack_hi is the top of the stack the
 * caller runs on; every load stays between the current stack pointer and it. Returns the depth, or
 * -1 when a frame has no simple rule (a signal frame, a CFA computed by a DWARF expression, a frame
 * over 56 KiB) or the rule could not be learned now (another thread is learning one): the caller
 * then asks libunwind. Must not run while the thread may hold the loader's
 * lock (learning calls dl_iterate_phdr). No lock, syscall or allocation
 * when every rule is known: two loads and one table probe per frame. */
int rules_walk(uint64_t *frames, uint32_t cap, uint64_t caller, uint32_t past, uintptr_t stack_hi);

/* Forgets every rule: code was unmapped (dlclose), and other code may come
 * to the same addresses. Never waits: when a learner holds the table, it
 * clears it as it lets go. */
void rules_forget(void);

/* In a fork child: the learning lock may have been held by a thread that
 * the child does not have. */
void rules_after_fork(void);

/* Bytes of memory the table and the scratch stack hold. */
uint64_t rules_bytes(void);

/* How many walks were finished by rules, and how many were handed back to
 * libunwind, since the process started. */
void rules_stats(uint64_t *walked, uint64_t *handed_back);

#endif
