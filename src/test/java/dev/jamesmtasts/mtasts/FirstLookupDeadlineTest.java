package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import dev.jamesmtasts.mtasts.RecordLookupResult.Kind;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestDnsServer.Fault;

/**
 * Issue 9, "bounded work": each operation of the first lookup of a domain has ONE end-to-end bound.
 * The TXT lookup and all its CNAME hops share one DNS deadline; the policy fetch's deadline covers
 * the policy host's A/AAAA lookups too. Real DNS over UDP on loopback, with answers held back by the
 * test server.
 *
 * <p>No assertion on wall time: the delays the server adds are lower bounds on elapsed time, so "the
 * deadline passed before hop N could be asked" follows from the delays alone; what is asserted is the
 * typed result and the server's query counters. {@code assertTimeoutPreemptively} is only a hang guard.
 */
class FirstLookupDeadlineTest {
    /** Far above every bound used here: only catches a hang. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    private MtaStsTestbed bed;

    @BeforeEach
    void start() throws IOException {
        bed = MtaStsTestbed.start();
    }

    @AfterEach
    void stop() {
        bed.close();
    }

    /** A resolver on the testbed with these two bounds. */
    private MtaStsResolver resolver(Duration dnsTimeout, Duration fetchTimeout) {
        return new MtaStsResolver(bed.settings().dnsTimeout(dnsTimeout).fetchTimeout(fetchTimeout).build());
    }

    /** {@link MtaStsResolver#fetchPolicy(String)} with these bounds, under the hang guard. */
    private PolicyFetchResult fetch(String domain, Duration dnsTimeout, Duration fetchTimeout) {
        try (MtaStsResolver r = resolver(dnsTimeout, fetchTimeout)) {
            return assertTimeoutPreemptively(HANG_GUARD, () -> r.fetchPolicy(domain));
        }
    }

    /** {@link MtaStsResolver#lookup(String)} with these bounds, under the hang guard. */
    private LookupResult lookup(String domain, Duration dnsTimeout, Duration fetchTimeout) {
        try (MtaStsResolver r = resolver(dnsTimeout, fetchTimeout)) {
            return assertTimeoutPreemptively(HANG_GUARD, () -> r.lookup(domain));
        }
    }

    /** {@code _mta-sts.<domain>} → hop1 → ... → hopN, the TXT record at hopN; the server does not chase. */
    private TestDnsServer chain(String domain, int hops) {
        TestDnsServer dns = bed.dns().chaseCnames(false);
        String from = "_mta-sts." + domain;
        for (int i = 1; i <= hops; i++) {
            String to = "hop" + i + "." + domain;
            dns.cname(from, to);
            from = to;
        }
        dns.txt(from, "v=STSv1; id=chained;");
        return dns;
    }

    @Test
    void aCnameChainWithPromptAnswersIsFollowed() {
        // Control for the next test: the same chain shape resolves when the server answers at once.
        TestDnsServer dns = chain("prompt.example", 3);
        try (MtaStsResolver r = new MtaStsResolver(bed.settings().dnsTimeout(Duration.ofSeconds(5)).build())) {
            RecordLookupResult result = r.lookupRecord("prompt.example");
            assertThat(result.kind()).as(result.toString()).isEqualTo(Kind.FOUND);
            assertThat(result.record().id()).isEqualTo("chained");
            assertThat(dns.queries("hop3.prompt.example", Type.TXT)).isEqualTo(1);
        }
    }

    @Test
    void cnameHopsShareOneDnsDeadline() {
        // Each hop answers after 600 ms, inside the 1 s per-query time-out. With a time-out per hop the
        // chain would resolve after 4 × 600 ms; with one deadline for the chain the second hop's answer
        // (no earlier than 1.2 s) comes too late, and hops 2 and 3 are never asked.
        TestDnsServer dns = chain("slowchain.example", 3);
        Duration perHop = Duration.ofMillis(600);
        dns.delay("_mta-sts.slowchain.example", perHop);
        for (int i = 1; i <= 3; i++) {
            dns.delay("hop" + i + ".slowchain.example", perHop);
        }
        try (MtaStsResolver r = new MtaStsResolver(bed.settings().dnsTimeout(Duration.ofSeconds(1)).build())) {
            RecordLookupResult result = assertTimeoutPreemptively(HANG_GUARD, () -> r.lookupRecord("slowchain.example"));
            assertThat(result.kind()).as(result.toString()).isEqualTo(Kind.TEMPORARY_ERROR);
            assertThat(result.reason()).contains("time-out");
            assertThat(dns.queries("_mta-sts.slowchain.example", Type.TXT)).isEqualTo(1);
            assertThat(dns.queries("hop2.slowchain.example", Type.TXT)).isZero();
            assertThat(dns.queries("hop3.slowchain.example", Type.TXT)).isZero();
        }
    }

    @Test
    void aSilentHopEndsTheWholeLookupAndNoLaterHopIsAsked() {
        // Two resolvers (the same server twice): the budget is 2 × 1 s; hop1 is silent on both, so
        // each is asked once and the lookup is TEMPORARY, never NO_RECORD (RFC 8461 §5: no downgrade).
        TestDnsServer dns = chain("silenthop.example", 2);
        dns.fault("hop1.silenthop.example", Fault.DROP);
        try (MtaStsResolver r = new MtaStsResolver(bed.settings().addResolver(dns.address())
                .dnsTimeout(Duration.ofSeconds(1)).build())) {
            RecordLookupResult result = assertTimeoutPreemptively(HANG_GUARD, () -> r.lookupRecord("silenthop.example"));
            assertThat(result.kind()).as(result.toString()).isEqualTo(Kind.TEMPORARY_ERROR);
            assertThat(dns.queries("hop1.silenthop.example", Type.TXT)).isBetween(1, 2);
            assertThat(dns.queries("hop2.silenthop.example", Type.TXT)).isZero();
        }
    }

    @Test
    void theDnsBudgetIsTheTimeoutTimesTheResolvers() {
        TestDnsServer dns = bed.dns();
        MtaStsSettings one = bed.settings().dnsTimeout(Duration.ofMillis(700)).build();
        MtaStsSettings two = bed.settings().addResolver(dns.address()).dnsTimeout(Duration.ofMillis(700)).build();
        assertThat(new DnsClient(one.resolvers(), one.dnsTimeout()).lookupBudget()).isEqualTo(Duration.ofMillis(700));
        assertThat(new DnsClient(two.resolvers(), two.dnsTimeout()).lookupBudget()).isEqualTo(Duration.ofMillis(1400));
    }

    @Test
    void policyHostAddressLookupsCountAgainstTheFetchDeadline() {
        // A and AAAA of the policy host each answer after 700 ms, inside the 5 s DNS time-out. The
        // fetch deadline is 1 s: the AAAA answer (no earlier than 1.4 s) comes after it, so the fetch
        // is TIMEOUT and the policy host is never contacted. (With the deadline started after the
        // address lookups, as before issue 9, this fetch succeeded after 1.4 s.)
        bed.publish("slowhost.example", "s1", MtaStsTestbed.ENFORCE_POLICY);
        bed.dns().delay("mta-sts.slowhost.example", Duration.ofMillis(700));
        PolicyFetchResult result = fetch("slowhost.example", Duration.ofSeconds(5), Duration.ofSeconds(1));
        assertThat(result.failure()).as(result.toString()).isEqualTo(FetchFailure.TIMEOUT);
        assertThat(bed.dns().queries("mta-sts.slowhost.example", Type.A)).isEqualTo(1);
        assertThat(bed.https().requests("mta-sts.slowhost.example")).isZero();
    }

    @Test
    void aSilentPolicyHostLookupEndsAtTheFetchDeadlineAndAaaaIsNeverAsked() {
        // The A query is dropped. Its DNS time-out (5 s) is longer than the fetch deadline (1 s): the
        // query gives up at the fetch deadline, and the AAAA query, due after it, is never sent.
        bed.publish("mutehost.example", "m1", MtaStsTestbed.ENFORCE_POLICY);
        bed.dns().fault("mta-sts.mutehost.example", Type.A, Fault.DROP);
        PolicyFetchResult result = fetch("mutehost.example", Duration.ofSeconds(5), Duration.ofSeconds(1));
        assertThat(result.failure()).as(result.toString()).isEqualTo(FetchFailure.TIMEOUT);
        assertThat(bed.dns().queries("mta-sts.mutehost.example", Type.A)).isEqualTo(1);
        assertThat(bed.dns().queries("mta-sts.mutehost.example", Type.AAAA)).isZero();
        assertThat(bed.https().requests("mta-sts.mutehost.example")).isZero();
    }

    @Test
    void policyHostDnsFailureInsideTheDeadlineStaysADnsFailure() {
        // The DNS budget (500 ms, one resolver) runs out well before the fetch deadline (30 s): the
        // failure is the policy host's DNS, typed as such, not the fetch bound.
        bed.publish("servfailhost.example", "f1", MtaStsTestbed.ENFORCE_POLICY);
        bed.dns().fault("mta-sts.servfailhost.example", Fault.SERVFAIL);
        PolicyFetchResult result = fetch("servfailhost.example", Duration.ofMillis(500), Duration.ofSeconds(30));
        assertThat(result.failure()).as(result.toString()).isEqualTo(FetchFailure.DNS_TEMPORARY);
    }

    @Test
    void slowButTimelyPolicyHostDnsStillGivesThePolicy() {
        bed.publish("timely.example", "t1", MtaStsTestbed.ENFORCE_POLICY);
        bed.dns().delay("mta-sts.timely.example", Duration.ofMillis(200));
        LookupResult result = lookup("timely.example", Duration.ofSeconds(5), Duration.ofSeconds(20));
        assertThat(result.kind()).as(result.toString()).isEqualTo(LookupResult.Kind.POLICY);
        assertThat(result.record().id()).isEqualTo("t1");
    }

    @Test
    void aWholeLookupWithSlowDnsEndsAsATypedFetchTimeout() {
        // The record is found (its TXT answer is prompt), then the policy host's DNS is silent: the
        // lookup is FETCH_ERROR / TIMEOUT, a typed failure the cache layer can act on.
        bed.publish("slowfetch.example", "w1", MtaStsTestbed.ENFORCE_POLICY);
        bed.dns().fault("mta-sts.slowfetch.example", Fault.DROP);
        LookupResult result = lookup("slowfetch.example", Duration.ofSeconds(5), Duration.ofSeconds(1));
        assertThat(result.kind()).as(result.toString()).isEqualTo(LookupResult.Kind.FETCH_ERROR);
        assertThat(result.fetchFailure()).isEqualTo(FetchFailure.TIMEOUT);
        assertThat(result.record().id()).isEqualTo("w1");
        assertThat(bed.dns().queries("mta-sts.slowfetch.example", Type.AAAA)).isZero();
    }
}
