package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * {@link DeliveryLoop}: a free delivery thread takes the next item, so attempts stuck on a slow host
 * (a policy host that is a tarpit) hold up no other; and an item taken from the queue is carried to
 * the end of its attempt even when the queue's stream fails meanwhile (as James 3.8.1's memory
 * queue's does when WebAdmin reads it). With the loop this class replaced
 * ({@code flatMap(item -> Mono.fromRunnable(..).subscribeOn(boundedElastic), n)}) both tests fail:
 * items waited behind the blocked threads, and attempts were interrupted or never run.
 */
class DeliveryLoopTest {

    @Test
    void attemptsStuckOnASlowHostHoldUpNoOther() throws Exception {
        CountDownLatch tarpit = new CountDownLatch(1);
        CountDownLatch others = new CountDownLatch(198);
        AtomicInteger stuck = new AtomicInteger();
        // 4 delivery threads; items 1 and 2 are attempts stuck (as on a tarpitted policy host) until the
        // end of the test; the 198 others must all be attempted by the 2 threads left meanwhile.
        try (DeliveryLoop loop = DeliveryLoop.start(Flux.range(1, 200), item -> {
            if (item <= 2) {
                stuck.incrementAndGet();
                try {
                    tarpit.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                others.countDown();
            }
        }, 4, "loop-test")) {
            boolean allOthers = others.await(30, TimeUnit.SECONDS);
            assertThat(stuck.get()).isEqualTo(2);
            assertThat(tarpit.getCount()).as("the stuck attempts are still stuck").isEqualTo(1);
            assertThat(allOthers).as("every other item was attempted while 2 of 4 threads were stuck (%d left)",
                    others.getCount()).isTrue();
            tarpit.countDown();
        }
    }

    @Test
    void everyTakenItemFinishesItsAttemptWhenTheQueueStreamFails() throws Exception {
        Sinks.Many<Integer> queue = Sinks.many().unicast().onBackpressureBuffer();
        CountDownLatch started = new CountDownLatch(5);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(5);
        List<Integer> completed = new CopyOnWriteArrayList<>();
        List<Integer> interrupted = new CopyOnWriteArrayList<>();
        try (DeliveryLoop loop = DeliveryLoop.start(queue.asFlux(), item -> {
            started.countDown();
            try {
                if (release.await(30, TimeUnit.SECONDS)) {
                    completed.add(item);
                }
            } catch (InterruptedException e) {
                interrupted.add(item);
            } finally {
                finished.countDown();
            }
        }, 5, "loop-test")) {
            for (int i = 1; i <= 5; i++) {
                queue.tryEmitNext(i);
            }
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            queue.tryEmitError(new IllegalStateException("the queue's dequeuing stopped"));
            assertThat(loop.ended()).as("the failed stream ends the loop: nothing more is taken").isTrue();
            release.countDown();
            assertThat(finished.await(30, TimeUnit.SECONDS)).as("every attempt ended").isTrue();
            assertThat(interrupted).isEmpty();
            assertThat(completed).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
        }
    }

    @Test
    void noMoreThanThreadsAttemptsRunAtOnceAndEveryItemIsAttempted() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(50);
        try (DeliveryLoop loop = DeliveryLoop.start(Flux.range(1, 50), item -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                running.decrementAndGet();
                finished.countDown();
            }
        }, 3, "loop-test")) {
            assertThat(finished.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(most.get()).isBetween(1, 3);
        }
    }

    @Test
    void closeInterruptsTheRunningAttempts() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        DeliveryLoop loop = DeliveryLoop.start(Flux.just(1), item -> {
            started.countDown();
            try {
                new CountDownLatch(1).await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
        }, 1, "loop-test");
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        loop.close();
        assertThat(interrupted.await(30, TimeUnit.SECONDS)).as("James stopping ends the attempts").isTrue();
        assertThat(loop.ended()).isTrue();
    }
}
