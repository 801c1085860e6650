package dev.jamesmtasts.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one operation {@code perThread} times on each of {@code threads} threads started together and
 * measures, per thread, the elapsed time, the thread CPU time and the bytes allocated (ThreadMXBean):
 * on a loaded shared machine the CPU time and the allocation are the figures that hold still.
 */
final class ThreadCost {
    /** The operation: call {@code i} of thread {@code thread}. */
    interface Op {
        void run(int thread, int i);
    }

    final int threads;
    final long operations;
    long elapsedNanos; // summed over threads
    long cpuNanos;     // summed over threads
    long bytes;        // summed over threads
    long wallNanos;    // of the whole run

    private ThreadCost(int threads, long operations) {
        this.threads = threads;
        this.operations = operations;
    }

    static ThreadCost measure(int threads, int perThread, Op op) throws InterruptedException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        CountDownLatch go = new CountDownLatch(1);
        long[] nanos = new long[threads];
        long[] cpu = new long[threads];
        long[] bytes = new long[threads];
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long b0 = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
                long c0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                for (int i = 0; i < perThread; i++) {
                    op.run(id, i);
                }
                nanos[id] = System.nanoTime() - t0;
                cpu[id] = mx.getCurrentThreadCpuTime() - c0;
                bytes[id] = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - b0;
            });
            ts.add(th);
            th.start();
        }
        ThreadCost r = new ThreadCost(threads, (long) threads * perThread);
        long w0 = System.nanoTime();
        go.countDown();
        for (Thread th : ts) {
            th.join();
        }
        r.wallNanos = System.nanoTime() - w0;
        for (int t = 0; t < threads; t++) {
            r.elapsedNanos += nanos[t];
            r.cpuNanos += cpu[t];
            r.bytes += bytes[t];
        }
        return r;
    }

    double elapsedPerOp() {
        return (double) elapsedNanos / operations;
    }

    double cpuPerOp() {
        return (double) cpuNanos / operations;
    }

    double bytesPerOp() {
        return (double) bytes / operations;
    }

    /** Operations per second over all threads. */
    double perSecond() {
        return operations * 1e9 / wallNanos;
    }
}
