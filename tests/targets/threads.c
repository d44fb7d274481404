/* threads.c - target: 8 threads freeing each other's blocks.
 *
 * The threads stand in a ring, each with a queue (a mutex, a condition
 * variable and a list threaded through the blocks themselves, so the queue
 * allocates nothing). Thread i allocates a block in alloc_passed_block,
 * pushes it to thread i+1's queue, then takes one from its own queue and
 * frees it: every block is freed by a thread other than the one that
 * allocated it, and the sizes vary so the frees must find the right
 * records. Thread i's k-th pop needs only thread i-1's k-th push, which
 * comes before that thread's own k-th pop, so the ring cannot deadlock.
 * Besides, each thread keeps 8 blocks of 96 bytes from leak_thread_96x8.
 *
 * Read by tests/integration/run.sh:
 * exit: 15
 * expect: leak_thread_96x8 live_bytes=6144 live_blocks=64 alloc_calls=64
 * expect: alloc_passed_block live_bytes=0 live_blocks=0 alloc_calls=40000
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8
#define PASSES  5000

struct block {
	struct block *next;
	unsigned from;
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct block *head, *tail;
};

static struct queue queues[THREADS];
static int wrong_owner;

__attribute__((noinline)) static struct block *alloc_passed_block(unsigned from, int k)
{
	size_t size = sizeof(struct block) + (size_t)(k % 32) * 8;
	struct block *b = malloc(size);
	memset(b, 0xab, size);
	b->next = NULL;
	b->from = from;
	return b;
}

__attribute__((noinline)) static void leak_thread_96x8(void)
{
	for (int i = 0; i < 8; i++)
		memset(malloc(96), i, 96);
}

static void push(struct queue *q, struct block *b)
{
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	pthread_cond_signal(&q->ready);
	pthread_mutex_unlock(&q->lock);
}

static struct block *pop(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	while (!q->head)
		pthread_cond_wait(&q->ready, &q->lock);
	struct block *b = q->head;
	q->head = b->next;
	if (!q->head)
		q->tail = NULL;
	pthread_mutex_unlock(&q->lock);
	return b;
}

static void *worker(void *arg)
{
	unsigned self = (unsigned)(size_t)arg;
	unsigned prev = (self + THREADS - 1) % THREADS;
	leak_thread_96x8();
	for (int k = 0; k < PASSES; k++) {
		push(&queues[(self + 1) % THREADS], alloc_passed_block(self, k));
		struct block *b = pop(&queues[self]);
		if (b->from != prev)
			__atomic_add_fetch(&wrong_owner, 1, __ATOMIC_RELAXED);
		free(b);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		pthread_mutex_init(&queues[i].lock, NULL);
		pthread_cond_init(&queues[i].ready, NULL);
	}
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(size_t)i)) {
			fprintf(stderr, "threads: pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++)
		if (queues[i].head)
			wrong_owner++;
	if (wrong_owner) {
		fprintf(stderr, "threads: %d blocks went astray\n", wrong_owner);
		return 1;
	}
	printf("threads: %d threads passed %d blocks each\n", THREADS, PASSES);
	return 15;
}
