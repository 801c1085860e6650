package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.jamesmtasts.cache.FakePolicySource.MutableClock;
import dev.jamesmtasts.cache.StoreStatus.State;

/** The store's state as a node sees it: transitions, the start of an outage, the back-online hook. */
class StoreStatusTest {
    @Test
    void anOutageKeepsItsStartAcrossRetriesAndTheNewestReason() {
        MutableClock clock = MutableClock.now();
        StoreStatus s = new StoreStatus(CacheSettings.StoreOutage.LIVE, clock);
        AtomicInteger backOnline = new AtomicInteger();
        s.onAvailable(backOnline::incrementAndGet);
        assertThat(s.reading().state()).isEqualTo(State.CONNECTING);
        assertThat(s.available()).isFalse();

        s.down("connection refused");
        Instant start = s.reading().since();
        clock.advance(Duration.ofSeconds(30));
        s.down("timed out");
        assertThat(s.reading().state()).isEqualTo(State.UNAVAILABLE);
        assertThat(s.reading().since()).isEqualTo(start);
        assertThat(s.reading().reason()).isEqualTo("timed out");
        assertThat(s.reading().toString()).startsWith("unavailable since " + start).endsWith(": timed out");

        s.up();
        s.up();
        assertThat(s.available()).isTrue();
        assertThat(s.reading().since()).isEqualTo(start.plusSeconds(30));
        assertThat(backOnline.get()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(5));
        s.down("gone again");
        assertThat(s.reading().since()).isEqualTo(start.plusSeconds(35));
        s.up();
        assertThat(backOnline.get()).isEqualTo(2);
    }

    @Test
    void fixedStatusesForBackendsWithoutAStore() {
        assertThat(StoreStatus.alwaysAvailable().available()).isTrue();
        assertThat(StoreStatus.connecting().reading().state()).isEqualTo(State.CONNECTING);
    }
}
