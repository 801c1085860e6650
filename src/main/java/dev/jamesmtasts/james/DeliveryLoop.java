package dev.jamesmtasts.james;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The queue loop of {@link MtaStsRemoteDelivery}: takes items from the outgoing queue and runs one
 * attempt per item on {@code threads} delivery threads, at most {@code threads} at once.
 *
 * <p><b>A slow attempt holds up no other.</b> The attempts run on a plain fixed pool with one shared
 * work queue, so an item goes to whichever delivery thread is free. Reactor's bounded-elastic
 * scheduler (what {@code Mono.fromRunnable(..).subscribeOn(boundedElastic)} uses, as James's
 * RemoteDelivery does) binds each task to one thread when it is scheduled, picking the least busy;
 * when the previous task's thread has not been released yet, the next task can be queued behind a
 * thread that is blocked, e.g. an attempt waiting up to the flight time-out for a policy host that is
 * a tarpit, while other threads idle. Mail to domains whose policy is cached then waited seconds
 * behind mail to tarpitted domains: the fault benchmark ({@code bin/demo --faults}, docs/faults.md
 * row 3) measured 0.2x the throughput without tarpits, with James's delivery threads idle.
 * {@code DeliveryLoopTest} shows the difference.
 *
 * <p><b>An item taken is finished.</b> Each attempt is handed to the pool on its own and only its
 * end is reported back to the stream, so when the queue's stream fails (James 3.8.1's memory queue
 * ends it when WebAdmin reads the queue, docs/demo.md), no attempt is interrupted and none taken but
 * not started is dropped (with {@code subscribeOn}, {@code flatMap}'s cancellation did both: a mail
 * neither delivered nor given back to the queue). {@link #close()} still ends everything.
 */
final class DeliveryLoop implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryLoop.class);

    private final ThreadPoolExecutor workers;
    private final Scheduler dequeuer;
    private final Disposable loop;

    private <T> DeliveryLoop(Publisher<T> items, Consumer<T> attempt, int threads, String name) {
        AtomicInteger n = new AtomicInteger();
        workers = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        workers.allowCoreThreadTimeOut(true);
        dequeuer = Schedulers.newSingle(name + "-dequeue");
        loop = Flux.from(items)
                .flatMap(item -> Mono.<Void>create(done -> {
                    try {
                        workers.execute(() -> {
                            try {
                                attempt.accept(item);
                            } finally {
                                done.success();
                            }
                        });
                    } catch (RejectedExecutionException e) {
                        done.error(e); // closing
                    }
                }), threads)
                .onErrorContinue((t, o) -> LOGGER.error("MTA-STS delivery loop error", t))
                .subscribeOn(dequeuer)
                .subscribe(x -> { }, t -> LOGGER.error("MTA-STS delivery loop: the queue's stream failed; no more "
                        + "mail is taken from it until James restarts", t));
    }

    /**
     * Subscribes to {@code items} and runs {@code attempt} for each on one of {@code threads} threads
     * named {@code name-N}; {@code attempt} reports its own failures (an exception it throws is logged).
     */
    static <T> DeliveryLoop start(Publisher<T> items, Consumer<T> attempt, int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        return new DeliveryLoop(items, attempt, threads, name);
    }

    /** True once the queue's stream has ended (or the loop was closed): no more items are taken. */
    boolean ended() {
        return loop.isDisposed();
    }

    /** Stops taking items and interrupts the attempts running (James is stopping). */
    @Override
    public void close() {
        loop.dispose();
        dequeuer.dispose();
        workers.shutdownNow();
    }
}
