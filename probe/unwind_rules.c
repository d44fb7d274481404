/* unwind_rules.c - unwinding by a rule learned once per return address.
 *
 * On x86-64 the DWARF call frame information of nearly every frame says
 * three things: the caller's stack pointer (the CFA) is this frame's rsp
 * or rbp plus a constant; the return address lies just below the CFA; and
 * the caller's rbp is either untouched or saved at a constant offset from
 * the CFA. That rule depends on the pc alone. So it is learned once for
 * each return address and kept in a table, and a walk then costs a table
 * probe and two loads a frame; libunwind, asked each time, finds the
 * frame's description, runs its CFI program and keeps a full register set:
 * about 8 ns a frame, a third of what the probe added to an allocation.
 *
 * The rules are learned from libunwind itself, so there is no second CFI
 * interpreter here: for a return address, it steps once from a made-up
 * register state whose stack is a scratch area filled with tokens (each
 * 8-byte slot holds its own address plus TOKEN_SHIFT), twice, with rsp and
 * rbp moved by different amounts between the two. The caller's rsp tells
 * which register the CFA is based on and the offset; the token that came
 * back as the caller's pc must be the slot below the CFA; the caller's rbp
 * is either the rbp given or a token at a fixed offset from the CFA. Any
 * other answer (a signal frame, a CFA computed by an expression or from
 * another register, a frame too big for the tokens) makes the rule
 * RULE_COMPLEX, and a walk that meets one hands the capture back to
 * libunwind whole. The scratch area is 64 MiB of address space but only
 * its 64 KiB of tokens are ever written; the rest reads as zeros, so a
 * made-up stack read never leaves it.
 *
 * The table: 32,768 slots of (pc, rule), open addressing, 16 probes at most.
 * Readers never lock: a writer stores the rule, then the pc with release
 * (pairs with the acquire load of the pc in lookup). Writers and learning
 * take one flag, by try-lock only: a walk that finds it taken hands back
 * instead of waiting, so no thread ever waits on another inside malloc.
 * Forgetting (dlclose) does not wait either: it leaves the clear to the
 * flag's holder (forget_pending). */
#define _GNU_SOURCE
#include "unwind_rules.h"

#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__) && defined(__linux__)

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#define RULE_BITS   15
#define RULE_SLOTS  (1u << RULE_BITS)
#define RULE_PROBES 16

enum rule_kind {
	RULE_NONE = 0,    /* no rule learned: an empty slot's */
	RULE_CFA_SP = 1,  /* CFA = rsp + off */
	RULE_CFA_BP = 2,  /* CFA = rbp + off */
	RULE_END = 3,     /* the outermost frame: the return address is undefined */
	RULE_COMPLEX = 4, /* anything else: libunwind's */
};
#define RULE_KIND(r)    ((unsigned)((r)&7))
#define RULE_BP_SAVED   8 /* the caller's rbp is at CFA + bp_off, not in rbp */
#define RULE_CFA_OFF(r) ((int32_t)(uint32_t)((r) >> 16))
#define RULE_BP_OFF(r)  ((int16_t)(uint16_t)((r) >> 48))

struct rule_slot {
	_Atomic uint64_t pc; /* 0: empty */
	_Atomic uint64_t rule;
};

/* The scratch stack, as offsets into its mapping. */
#define SCRATCH_SIZE (64u << 20)
#define SCRATCH_SP   (1u << 20)               /* the made-up rsp of the first step */
#define TOKEN_LO     (SCRATCH_SP - 4096)      /* tokens from here ... */
#define TOKEN_HI     (SCRATCH_SP + 60 * 1024) /* ... to here */
#define TOKEN_SHIFT  (2u << 20)               /* a token is its slot's address plus this */
#define FILLER       (3u << 20)               /* every other register: zeros */

typedef int (*init_local_fn)(unw_cursor_t *, unw_context_t *);
typedef int (*step_fn)(unw_cursor_t *);
typedef int (*get_reg_fn)(unw_cursor_t *, unw_regnum_t, unw_word_t *);

static init_local_fn u_init;
static step_fn u_step;
static get_reg_fn u_get_reg;
static struct rule_slot *table;
static uintptr_t scratch;
static atomic_flag learning = ATOMIC_FLAG_INIT;
/* Set by rules_forget; the table is cleared by whoever holds `learning`
 * next. Forgetting never waits: dlclose may run inside a dl_iterate_phdr
 * callback, holding the loader's lock, while a learner holds `learning`
 * and waits for that lock. Until the clear, a walk may use a rule of the
 * code that went: its loads stay on the stack, so the worst is a wrong
 * frame. */
static _Atomic int forget_pending;
static _Atomic uint64_t walks_done, walks_back;

static uint64_t rule_make(unsigned kind, int bp_saved, int32_t cfa_off, int16_t bp_off)
{
	return kind | (bp_saved ? RULE_BP_SAVED : 0) | (uint64_t)(uint32_t)cfa_off << 16 |
	       (uint64_t)(uint16_t)bp_off << 48;
}

int rules_init(const struct rules_unwinder *u)
{
	if (!u->init_local || !u->step || !u->get_reg)
		return -1;
	void *t = mmap(NULL, RULE_SLOTS * sizeof(struct rule_slot), PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return -1;
	void *s = mmap(NULL, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s == MAP_FAILED) {
		munmap(t, RULE_SLOTS * sizeof(struct rule_slot));
		return -1;
	}
	scratch = (uintptr_t)s;
	for (uintptr_t a = scratch + TOKEN_LO; a < scratch + TOKEN_HI; a += 8)
		*(uint64_t *)a = a + TOKEN_SHIFT;
	u_init = (init_local_fn)u->init_local;
	u_step = (step_fn)u->step;
	u_get_reg = (get_reg_fn)u->get_reg;
	/* Release: the functions and the tokens before the table that says
	 * walks may run; pairs with the acquire load in rules_walk. */
	atomic_store_explicit((_Atomic(struct rule_slot *) *)&table, (struct rule_slot *)t,
	                      memory_order_release);
	return 0;
}

/* The slot a token v came from, or 0 when v is no token. */
static uintptr_t token_slot(uint64_t v)
{
	uint64_t a = v - TOKEN_SHIFT;
	if (v < TOKEN_SHIFT || a < scratch + TOKEN_LO || a >= scratch + TOKEN_HI || (a & 7))
		return 0;
	return (uintptr_t)a;
}

struct step_seen {
	uint64_t pc, sp, bp;
};

/* One libunwind step from a frame at return address ra with the made-up
 * rsp and rbp: 1 and what the caller's registers became, 0 at the end of
 * the stack, -1 on an error. */
static int step_from(uintptr_t ra, uintptr_t sp, uintptr_t bp, struct step_seen *out)
{
	unw_context_t uc;
	unw_cursor_t cur;
	memset(&uc, 0, sizeof uc);
	for (int i = 0; i < NGREG; i++)
		uc.uc_mcontext.gregs[i] = (greg_t)(scratch + FILLER);
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)ra; /* looked up at ra - 1: a return address */
	uc.uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
	uc.uc_mcontext.gregs[REG_RBP] = (greg_t)bp;
	if (u_init(&cur, &uc) < 0)
		return -1;
	int r = u_step(&cur);
	if (r < 0)
		return -1;
	unw_word_t pc = 0, csp = 0, cbp = 0;
	if (u_get_reg(&cur, UNW_REG_IP, &pc) < 0 || u_get_reg(&cur, UNW_REG_SP, &csp) < 0 ||
	    u_get_reg(&cur, UNW_X86_64_RBP, &cbp) < 0)
		return -1;
	out->pc = pc;
	out->sp = csp;
	out->bp = cbp;
	return r > 0;
}

struct text_query {
	uintptr_t pc;
	int found;
};

static int find_text(struct dl_phdr_info *info, size_t size, void *data)
{
	struct text_query *q = data;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && q->pc - lo < ph->p_memsz) {
			q->found = 1;
			return 1;
		}
	}
	return 0;
}

/* Whether pc lies in the code of a loaded file. A return address read off
 * the stack can be anything where a frame lied about itself (JIT code, a
 * smashed stack): libunwind is not given one that is not code, nor is its
 * code read here. */
static int in_text(uintptr_t pc)
{
	struct text_query q = { pc, 0 };
	dl_iterate_phdr(find_text, &q);
	return q.found;
}

/* Whether the code at ra is glibc's signal return (mov $15, %rax; syscall):
 * ra is then where a handler returns to, not a call's return address, and
 * the frame is the kernel's signal frame. */
static int is_sigreturn(uintptr_t ra)
{
	static const unsigned char code[] = {
		0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05
	};
	return memcmp((const void *)ra, code, sizeof code) == 0;
}

/* The rule of the frame that return address ra resumes; under `learning`. */
static uint64_t learn(uintptr_t ra)
{
	const uint64_t complex = rule_make(RULE_COMPLEX, 0, 0, 0);
	if (!in_text(ra) || !in_text(ra + 8) || is_sigreturn(ra))
		return complex;
	uintptr_t sp[2] = { scratch + SCRATCH_SP, scratch + SCRATCH_SP + 1024 };
	uintptr_t bp[2] = { scratch + SCRATCH_SP + 8192, scratch + SCRATCH_SP + 8192 + 3072 };
	struct step_seen s[2];
	int r[2];
	for (int i = 0; i < 2; i++)
		if ((r[i] = step_from(ra, sp[i], bp[i], &s[i])) < 0)
			return complex;
	if (r[0] != r[1])
		return complex;
	/* The end of the stack, with a CFA on the tokens; a step that read a
	 * zero return address far above them (a frame too big) is no end. */
	if (r[0] == 0)
		return s[0].sp > sp[0] && s[0].sp < scratch + TOKEN_HI
		           ? rule_make(RULE_END, 0, 0, 0)
		           : complex;
	unsigned kind;
	int64_t off;
	if (s[0].sp - sp[0] == s[1].sp - sp[1]) {
		kind = RULE_CFA_SP;
		off = (int64_t)(s[0].sp - sp[0]);
	} else if (s[0].sp - bp[0] == s[1].sp - bp[1]) {
		kind = RULE_CFA_BP;
		off = (int64_t)(s[0].sp - bp[0]);
	} else {
		return complex;
	}
	if (off <= 0 || off > INT32_MAX)
		return complex;
	for (int i = 0; i < 2; i++)
		if (token_slot(s[i].pc) != s[i].sp - 8)
			return complex;
	/* The caller's rbp: the one given (in both steps), or a token at one
	 * offset from the CFA (in both); neither or both is no simple rule. */
	int same = s[0].bp == bp[0] && s[1].bp == bp[1];
	uintptr_t slot0 = token_slot(s[0].bp), slot1 = token_slot(s[1].bp);
	int64_t bp_off = (int64_t)(slot0 - s[0].sp);
	int saved = slot0 && slot1 && bp_off == (int64_t)(slot1 - s[1].sp);
	if (same == saved || (saved && (bp_off < INT16_MIN || bp_off > INT16_MAX)))
		return complex;
	return rule_make(kind, saved, (int32_t)off, saved ? (int16_t)bp_off : 0);
}

static void clear_table(struct rule_slot *t)
{
	for (uint32_t i = 0; i < RULE_SLOTS; i++)
		atomic_store_explicit(&t[i].pc, 0, memory_order_relaxed);
}

/* Lets `learning` go, clearing the table first if a forget came. */
static void learning_done(struct rule_slot *t)
{
	if (atomic_exchange_explicit(&forget_pending, 0, memory_order_acq_rel))
		clear_table(t);
	atomic_flag_clear_explicit(&learning, memory_order_release);
}

/* A forget that found `learning` taken and whose holder has let it go
 * since: cleared now, if nobody holds it. */
static void forget_if_pending(struct rule_slot *t)
{
	if (atomic_load_explicit(&forget_pending, memory_order_relaxed) &&
	    !atomic_flag_test_and_set_explicit(&learning, memory_order_acquire))
		learning_done(t);
}

static uint32_t home(uint64_t pc)
{
	return (uint32_t)((pc * 0x9e3779b97f4a7c15ull) >> (64 - RULE_BITS));
}

/* The rule for pc: from the table, or learned and stored; 0 when it is
 * not known and cannot be learned now. */
static uint64_t lookup(struct rule_slot *t, uint64_t pc)
{
	uint32_t i = home(pc), empty = UINT32_MAX;
	for (uint32_t k = 0; k < RULE_PROBES; k++, i = (i + 1) & (RULE_SLOTS - 1)) {
		/* Acquire: the rule before its pc; pairs with the release below. */
		uint64_t p = atomic_load_explicit(&t[i].pc, memory_order_acquire);
		if (p == pc)
			return atomic_load_explicit(&t[i].rule, memory_order_relaxed);
		if (!p) {
			empty = i;
			break;
		}
	}
	/* No room to keep it: learning it at every walk would cost more than
	 * libunwind's walk. */
	if (empty == UINT32_MAX)
		return 0;
	if (atomic_flag_test_and_set_explicit(&learning, memory_order_acquire))
		return 0;
	/* libunwind's lookup calls write(2) where it checks an address: no
	 * cancellation point inside malloc. */
	int cancel;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	uint64_t rule = learn((uintptr_t)pc);
	pthread_setcancelstate(cancel, NULL);
	/* Another thread may have stored pc meanwhile; a second copy of the
	 * same rule further along is harmless. */
	if (!atomic_load_explicit(&t[empty].pc, memory_order_relaxed)) {
		atomic_store_explicit(&t[empty].rule, rule, memory_order_relaxed);
		/* Release: pairs with the acquire load above. */
		atomic_store_explicit(&t[empty].pc, pc, memory_order_release);
	}
	learning_done(t);
	return rule;
}

__attribute__((noinline)) int rules_walk(uint64_t *frames, uint32_t cap, uint64_t caller,
                                         uint32_t past, uintptr_t stack_hi)
{
	/* Acquire: pairs with the release in rules_init. */
	struct rule_slot *t =
	    atomic_load_explicit((_Atomic(struct rule_slot *) *)&table, memory_order_acquire);
	if (!t)
		return -1;
	forget_if_pending(t);
	uintptr_t pc, sp, bp;
	/* Where this frame is: the pc right after the lea, rsp and rbp there.
	 * Its rule is looked up as a return address one byte further on. */
	__asm__ volatile("leaq 0(%%rip), %0\n\tmovq %%rsp, %1\n\tmovq %%rbp, %2"
	                 : "=r"(pc), "=r"(sp), "=r"(bp));
	uint64_t key = pc + 1, last_key = 0, rule = 0;
	uint32_t depth = 0, max = cap;
	if (sp >= stack_hi)
		goto back;
	while (depth < max) {
		/* A recursive function's frames repeat their return address:
		 * the rule is the one just used, with no table probe. */
		if (key != last_key)
			rule = lookup(t, key);
		last_key = key;
		unsigned kind = RULE_KIND(rule);
		if (kind == RULE_END)
			break;
		if (kind != RULE_CFA_SP && kind != RULE_CFA_BP)
			goto back;
		uintptr_t cfa =
		    (kind == RULE_CFA_SP ? sp : bp) + (uintptr_t)(int64_t)RULE_CFA_OFF(rule);
		/* Every load between this frame's rsp and the top of the stack:
		 * a wrong rbp ends the walk, as libunwind's checks end its. */
		if (cfa < sp + 8 || cfa > stack_hi)
			break;
		uintptr_t ra = *(const uint64_t *)(cfa - 8);
		if (rule & RULE_BP_SAVED) {
			uintptr_t at = cfa + (uintptr_t)(int64_t)RULE_BP_OFF(rule);
			if (at < sp || at + 8 > stack_hi)
				break;
			bp = *(const uint64_t *)at;
		}
		sp = cfa;
		if (!ra)
			break;
		frames[depth++] = ra;
		key = ra;
		if (ra == caller && max == cap && depth - 1 + past < cap)
			max = depth - 1 + past;
	}
	atomic_fetch_add_explicit(&walks_done, 1, memory_order_relaxed);
	return (int)depth;
back:
	atomic_fetch_add_explicit(&walks_back, 1, memory_order_relaxed);
	return -1;
}

void rules_forget(void)
{
	struct rule_slot *t =
	    atomic_load_explicit((_Atomic(struct rule_slot *) *)&table, memory_order_acquire);
	if (!t)
		return;
	atomic_store_explicit(&forget_pending, 1, memory_order_release);
	forget_if_pending(t);
}

void rules_after_fork(void)
{
	atomic_flag_clear_explicit(&learning, memory_order_relaxed);
}

uint64_t rules_bytes(void)
{
	return scratch ? RULE_SLOTS * sizeof(struct rule_slot) + (TOKEN_HI - TOKEN_LO) : 0;
}

#else /* not x86-64 Linux: libunwind does every capture */

static _Atomic uint64_t walks_done, walks_back;

int rules_init(const struct rules_unwinder *u)
{
	(void)u;
	return -1;
}

int rules_walk(uint64_t *frames, uint32_t cap, uint64_t caller, uint32_t past, uintptr_t stack_hi)
{
	(void)frames, (void)cap, (void)caller, (void)past, (void)stack_hi;
	atomic_fetch_add_explicit(&walks_back, 1, memory_order_relaxed);
	return -1;
}

void rules_forget(void)
{
}

void rules_after_fork(void)
{
}

uint64_t rules_bytes(void)
{
	return 0;
}

#endif

void rules_stats(uint64_t *walked, uint64_t *handed_back)
{
	*walked = atomic_load_explicit(&walks_done, memory_order_relaxed);
	*handed_back = atomic_load_explicit(&walks_back, memory_order_relaxed);
}
