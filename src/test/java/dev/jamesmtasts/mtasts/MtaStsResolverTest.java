package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.MtaStsTestbedExtension;
import dev.jamesmtasts.testing.TestDnsServer.Fault;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/** {@link MtaStsResolver#lookup(String)} end to end (RFC 8461 §3.3): record, then policy. */
@ExtendWith(MtaStsTestbedExtension.class)
class MtaStsResolverTest {
    /** Set by {@link MtaStsTestbedExtension}. */
    private static MtaStsTestbed bed;
    private static MtaStsResolver resolver;

    @Test
    void recordAndPolicyGivePolicy() {
        bed.publish("policy.example", "20240101T000000", MtaStsTestbed.ENFORCE_POLICY);
        LookupResult r = resolver.lookup("policy.example");
        assertThat(r.kind()).isEqualTo(LookupResult.Kind.POLICY);
        assertThat(r.record().id()).isEqualTo("20240101T000000");
        assertThat(r.policy().mode()).isEqualTo(StsPolicy.Mode.ENFORCE);
        assertThat(r.policy().maxAgeSeconds()).isEqualTo(86400);
    }

    @Test
    void noRecordGivesNoneWithoutAnyFetch() {
        bed.serve("none.example", Response.ok(MtaStsTestbed.ENFORCE_POLICY));
        LookupResult r = resolver.lookup("none.example");
        assertThat(r.kind()).isEqualTo(LookupResult.Kind.NONE);
        assertThat(bed.https().requests("mta-sts.none.example")).isZero();
    }

    @Test
    void twoRecordsGiveNone() {
        bed.publish("twice.example", "a1", MtaStsTestbed.ENFORCE_POLICY);
        bed.dns().txt("_mta-sts.twice.example", "v=STSv1; id=a2;");
        LookupResult r = resolver.lookup("twice.example");
        assertThat(r.kind()).isEqualTo(LookupResult.Kind.NONE);
        assertThat(r.reason()).contains("MULTIPLE_RECORDS");
    }

    @Test
    void recordWithFailingFetchGivesFetchErrorWithKind() {
        bed.dns().txt("_mta-sts.broken.example", "v=STSv1; id=b1;");
        bed.serve("broken.example", Response.status(500));
        LookupResult r = resolver.lookup("broken.example");
        assertThat(r.kind()).isEqualTo(LookupResult.Kind.FETCH_ERROR);
        assertThat(r.record().id()).isEqualTo("b1");
        assertThat(r.fetchFailure()).isEqualTo(FetchFailure.HTTP_STATUS);
    }

    @Test
    void dnsFailureGivesTemporaryWithoutAnyFetch() {
        bed.publish("flaky.example", "f1", MtaStsTestbed.ENFORCE_POLICY);
        bed.dns().fault("_mta-sts.flaky.example", Fault.SERVFAIL);
        LookupResult r = resolver.lookup("flaky.example");
        assertThat(r.kind()).isEqualTo(LookupResult.Kind.TEMPORARY);
        assertThat(bed.https().requests("mta-sts.flaky.example")).isZero();
    }

    @Test
    void concurrentLookupsShareOneResolver() throws Exception {
        for (int i = 0; i < 8; i++) {
            bed.publish("c" + i + ".example", "id" + i, MtaStsTestbed.ENFORCE_POLICY);
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<LookupResult>> futures = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 8; i++) {
                    String domain = "c" + i + ".example";
                    futures.add(pool.submit(() -> resolver.lookup(domain)));
                }
            }
            for (int k = 0; k < futures.size(); k++) {
                LookupResult r = futures.get(k).get();
                assertThat(r.kind()).as(r.toString()).isEqualTo(LookupResult.Kind.POLICY);
                assertThat(r.record().id()).isEqualTo("id" + (k % 8));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void garbageInputGivesTypedResultsNeverExceptions() {
        for (String bad : new String[] {"", ".", "a..b", "-x-.example", "x".repeat(500), "exa mple.com", "\u0000"}) {
            assertThat(resolver.lookup(bad).kind()).as(bad).isIn(LookupResult.Kind.NONE, LookupResult.Kind.TEMPORARY);
            assertThat(resolver.fetchPolicy(bad).isSuccess()).isFalse();
        }
    }
}
