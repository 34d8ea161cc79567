#include "CKernels.h"
#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>

#define MAX_WORKERS 63
// About 50–100 µs of spinning: enough to catch decode's next step, short enough not to steal a
// core from OpenBLAS's own threads during long matrix products.
#define SPIN_ROUNDS 3000

static struct {
    pthread_mutex_t lock;           // serialises callers of vlm_pool_run
    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;
    atomic_long generation;         // bumped for every job
    atomic_int next_part;           // parts claimed so far in this job
    atomic_int done_parts;
    int parts;
    void (*fn)(void *, int);
    void *context;
    int workers;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static __thread int inside_job;  // a job that calls vlm_pool_run again runs the inner one serially

static void run_parts(void) {
    inside_job = 1;
    for (;;) {
        int part = atomic_fetch_add(&pool.next_part, 1);
        if (part >= pool.parts) { inside_job = 0; return; }
        pool.fn(pool.context, part);
        atomic_fetch_add(&pool.done_parts, 1);
    }
}

static void *worker(void *unused) {
    (void)unused;
    long seen = atomic_load(&pool.generation);
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&pool.generation, memory_order_acquire) == seen) {
            if (++spins < SPIN_ROUNDS) { _mm_pause(); continue; }
            pthread_mutex_lock(&pool.sleep_lock);
            while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.wake, &pool.sleep_lock);
            pthread_mutex_unlock(&pool.sleep_lock);
        }
        seen = atomic_load(&pool.generation);
        run_parts();
    }
    return 0;
}

void vlm_pool_run(int parts, int threads, void (*fn)(void *context, int part), void *context) {
    if (parts <= 1 || threads <= 1 || inside_job) {
        for (int part = 0; part < parts; part++) fn(context, part);
        return;
    }
    pthread_mutex_lock(&pool.lock);
    int helpers = (parts < threads ? parts : threads) - 1;
    while (pool.workers < helpers && pool.workers < MAX_WORKERS) {
        pthread_t thread;
        if (pthread_create(&thread, 0, worker, 0) != 0) break;
        pthread_detach(thread);
        pool.workers++;
    }
    pool.fn = fn;
    pool.context = context;
    pool.parts = parts;
    atomic_store(&pool.done_parts, 0);
    atomic_store(&pool.next_part, 0);
    pthread_mutex_lock(&pool.sleep_lock);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.sleep_lock);
    run_parts();
    while (atomic_load_explicit(&pool.done_parts, memory_order_acquire) < parts) _mm_pause();
    pthread_mutex_unlock(&pool.lock);
}
