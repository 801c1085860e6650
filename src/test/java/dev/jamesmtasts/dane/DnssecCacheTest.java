package dev.jamesmtasts.dane;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import dev.jamesmtasts.mtasts.DnssecAnswer;
import dev.jamesmtasts.mtasts.DnssecResolver;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestDnsServer.SignatureFault;

/**
 * {@link DnssecCache} in front of a real validating resolver and {@link TestDnsServer} (TTL 300 s on every
 * record, SOA minimum 300 s), with a clock the test moves: answers are reused for their TTL (capped), bogus
 * answers for the bogus TTL, temporary failures never, and the map stays within its bound.
 */
class DnssecCacheTest {
    private static TestDnsServer dns;
    private static DnssecResolver resolver;
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @BeforeAll
    static void zones() throws Exception {
        dns = TestDnsServer.start();
        dns.signedZone(".").signedZone("test.").signedZone("c.test.");
        dns.mx("c.test.", 10, "mx.c.test.").a("mx.c.test.", "127.0.0.1")
                .tlsa("_25._tcp.mx.c.test.", 3, 1, 1, new byte[32])
                .tlsa("_25._tcp.bad.c.test.", 3, 1, 1, new byte[32])
                .signatureFault("_25._tcp.bad.c.test.", Type.TLSA, SignatureFault.BAD_SIGNATURE)
                .fault("_25._tcp.silent.c.test.", TestDnsServer.Fault.DROP);
        resolver = new DnssecResolver(List.of(dns.address()), Duration.ofMillis(500), Duration.ofSeconds(2),
                dns.trustAnchor("."));
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    @BeforeEach
    void counts() {
        dns.resetCounts();
    }

    private DnssecCache cache(int size, Duration maxTtl, Duration bogusTtl) {
        return new DnssecCache(DnssecLookups.of(resolver), size, maxTtl, bogusTtl, now::get);
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void aSecureAnswerIsReusedForItsTtlThenAskedAgain() {
        DnssecCache c = cache(100, Duration.ofHours(1), Duration.ofMinutes(1));
        DnssecAnswer first = c.tlsa("mx.c.test");
        assertThat(first.status()).isEqualTo(DnssecAnswer.Status.SECURE);
        assertThat(first.ttlSeconds()).isEqualTo(300);
        assertThat(c.tlsa("MX.c.test.")).isSameAs(first);
        assertThat(dns.queries("_25._tcp.mx.c.test.", Type.TLSA)).isEqualTo(1);
        assertThat(c.hits()).isEqualTo(1);
        advance(Duration.ofSeconds(299));
        assertThat(c.tlsa("mx.c.test")).isSameAs(first);
        advance(Duration.ofSeconds(2));
        assertThat(c.tlsa("mx.c.test")).isNotSameAs(first);
        assertThat(dns.queries("_25._tcp.mx.c.test.", Type.TLSA)).isEqualTo(2);
    }

    @Test
    void theTtlIsCappedByMaxTtlAndZeroMeansNoCache() {
        DnssecCache capped = cache(100, Duration.ofSeconds(10), Duration.ofMinutes(1));
        DnssecAnswer first = capped.mx("c.test");
        advance(Duration.ofSeconds(11));
        assertThat(capped.mx("c.test")).isNotSameAs(first);
        DnssecCache none = cache(100, Duration.ZERO, Duration.ZERO);
        none.mx("c.test");
        none.mx("c.test");
        assertThat(none.size()).isZero();
        assertThat(none.misses()).isEqualTo(2);
    }

    @Test
    void aProvenDenialIsKeptForTheNegativeTtl() {
        DnssecCache c = cache(100, Duration.ofHours(1), Duration.ofMinutes(1));
        DnssecAnswer none = c.tlsa("nothing.c.test");
        assertThat(none.status()).isIn(DnssecAnswer.Status.NXDOMAIN, DnssecAnswer.Status.NODATA);
        assertThat(none.ttlSeconds()).isEqualTo(300);
        assertThat(c.tlsa("nothing.c.test")).isSameAs(none);
    }

    @Test
    void aBogusAnswerIsKeptOnlyForTheBogusTtl() {
        DnssecCache c = cache(100, Duration.ofHours(1), Duration.ofSeconds(30));
        DnssecAnswer bogus = c.tlsa("bad.c.test");
        assertThat(bogus.status()).isEqualTo(DnssecAnswer.Status.BOGUS);
        assertThat(c.tlsa("bad.c.test")).isSameAs(bogus);
        advance(Duration.ofSeconds(31));
        assertThat(c.tlsa("bad.c.test")).isNotSameAs(bogus);
    }

    @Test
    void aTemporaryFailureIsNeverKept() {
        DnssecCache c = cache(100, Duration.ofHours(1), Duration.ofMinutes(1));
        assertThat(c.tlsa("silent.c.test").status()).isEqualTo(DnssecAnswer.Status.TEMPORARY);
        assertThat(c.size()).isZero();
        c.tlsa("silent.c.test");
        assertThat(c.misses()).isEqualTo(2);
    }

    @Test
    void theMapStaysWithinItsBoundDroppingTheLeastRecentlyUsed() {
        DnssecCache c = cache(2, Duration.ofHours(1), Duration.ofMinutes(1));
        DnssecAnswer mx = c.mx("c.test");
        c.tlsa("mx.c.test");
        c.mx("c.test"); // used: now the most recent
        c.address("mx.c.test");
        assertThat(c.size()).isEqualTo(2);
        assertThat(c.mx("c.test")).isSameAs(mx);
        assertThat(dns.queries("_25._tcp.mx.c.test.", Type.TLSA)).isEqualTo(1);
        c.tlsa("mx.c.test");
        assertThat(dns.queries("_25._tcp.mx.c.test.", Type.TLSA)).isEqualTo(2);
    }
}
