package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import dev.jamesmtasts.mtasts.RecordLookupResult.Kind;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestDnsServer.Fault;

/**
 * RFC 8461 §3.1 over real DNS (checklist §1, the DNS lines, and §8 record sets): the TXT lookup of
 * {@code _mta-sts.<domain>} against an authoritative server on loopback.
 */
class StsRecordDnsTest {
    private static TestDnsServer dns;
    private static MtaStsResolver resolver;

    @BeforeAll
    static void start() throws Exception {
        dns = TestDnsServer.start();
        resolver = new MtaStsResolver(MtaStsSettings.builder()
                .addResolver(dns.address())
                .dnsTimeout(Duration.ofSeconds(3))
                .build());
    }

    @AfterAll
    static void stop() {
        resolver.close();
        dns.close();
    }

    @Test
    void oneStsRecordIsFound() {
        dns.txt("_mta-sts.found.example", "v=STSv1; id=20160831085700Z;");
        RecordLookupResult r = resolver.lookupRecord("found.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().id()).isEqualTo("20160831085700Z");
    }

    @Test
    void multiStringTxtRdataIsConcatenatedWithNoSeparator() {
        dns.txt("_mta-sts.multi.example", "v=STSv1; id=2016", "0831", "085700Z;");
        RecordLookupResult r = resolver.lookupRecord("multi.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().id()).isEqualTo("20160831085700Z");
    }

    @Test
    void cnameAtTheRecordNameIsFollowed() {
        dns.cname("_mta-sts.alias.example", "_mta-sts.provider.example");
        dns.txt("_mta-sts.provider.example", "v=STSv1; id=viaCname;");
        RecordLookupResult r = resolver.lookupRecord("alias.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().id()).isEqualTo("viaCname");
    }

    @Test
    void cnameChainIsFollowedEvenWhenTheServerAnswersOnlyTheCname() {
        dns.chaseCnames(false);
        try {
            dns.cname("_mta-sts.hop.example", "hop1.provider.example");
            dns.cname("hop1.provider.example", "hop2.provider.example");
            dns.txt("hop2.provider.example", "v=STSv1; id=twoHops;");
            RecordLookupResult r = resolver.lookupRecord("hop.example");
            assertThat(r.kind()).isEqualTo(Kind.FOUND);
            assertThat(r.record().id()).isEqualTo("twoHops");
            assertThat(dns.queries("hop2.provider.example", Type.TXT)).isEqualTo(1);
        } finally {
            dns.chaseCnames(true);
        }
    }

    @Test
    void cnameLoopIsTemporaryNeverNoRecord() {
        dns.chaseCnames(false);
        try {
            dns.cname("_mta-sts.loop.example", "a.loop.example");
            dns.cname("a.loop.example", "_mta-sts.loop.example");
            assertThat(resolver.lookupRecord("loop.example").kind()).isEqualTo(Kind.TEMPORARY_ERROR);
        } finally {
            dns.chaseCnames(true);
        }
    }

    @Test
    void cnameToANonexistentNameIsNoRecord() {
        dns.cname("_mta-sts.dangling.example", "nowhere.provider.example");
        assertThat(resolver.lookupRecord("dangling.example").kind()).isEqualTo(Kind.NO_RECORD);
    }

    @Test
    void nxdomainIsNoRecord() {
        RecordLookupResult r = resolver.lookupRecord("nxdomain.example");
        assertThat(r.kind()).isEqualTo(Kind.NO_RECORD);
        assertThat(r.reason()).contains("NXDOMAIN");
    }

    @Test
    void nodataIsNoRecord() {
        dns.a("_mta-sts.nodata.example", "192.0.2.1");
        RecordLookupResult r = resolver.lookupRecord("nodata.example");
        assertThat(r.kind()).isEqualTo(Kind.NO_RECORD);
        assertThat(r.reason()).contains("no TXT");
    }

    @Test
    void stsRecordNextToUnrelatedTxtIsFound() {
        dns.txt("_mta-sts.mixed.example", "google-site-verification=abc");
        dns.txt("_mta-sts.mixed.example", "v=STSv1; id=mixed1;");
        dns.txt("_mta-sts.mixed.example", "v=STSv10; id=notThisOne;");
        RecordLookupResult r = resolver.lookupRecord("mixed.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().id()).isEqualTo("mixed1");
    }

    @Test
    void onlyUnrelatedTxtIsNoRecord() {
        dns.txt("_mta-sts.other.example", "v=spf1 -all");
        dns.txt("_mta-sts.other.example", "id=1; v=STSv1");
        assertThat(resolver.lookupRecord("other.example").kind()).isEqualTo(Kind.NO_RECORD);
    }

    @Test
    void twoStsRecordsAreMultipleRecords() {
        dns.txt("_mta-sts.two.example", "v=STSv1; id=first;");
        dns.txt("_mta-sts.two.example", "v=STSv1; id=second;");
        assertThat(resolver.lookupRecord("two.example").kind()).isEqualTo(Kind.MULTIPLE_RECORDS);
    }

    @Test
    void oneInvalidStsRecordIsInvalidRecord() {
        dns.txt("_mta-sts.invalid.example", "v=STSv1; id=has-dash;");
        RecordLookupResult r = resolver.lookupRecord("invalid.example");
        assertThat(r.kind()).isEqualTo(Kind.INVALID_RECORD);
        assertThat(r.reason()).contains("id");
    }

    @Test
    void servfailIsTemporary() {
        dns.txt("_mta-sts.servfail.example", "v=STSv1; id=x;");
        dns.fault("_mta-sts.servfail.example", Fault.SERVFAIL);
        RecordLookupResult r = resolver.lookupRecord("servfail.example");
        assertThat(r.kind()).isEqualTo(Kind.TEMPORARY_ERROR);
        assertThat(r.reason()).contains("SERVFAIL");
    }

    @Test
    void refusedIsTemporary() {
        dns.fault("_mta-sts.refused.example", Fault.REFUSED);
        assertThat(resolver.lookupRecord("refused.example").kind()).isEqualTo(Kind.TEMPORARY_ERROR);
    }

    @Test
    void timeoutIsTemporary() {
        dns.fault("_mta-sts.silent.example", Fault.DROP);
        RecordLookupResult r = resolver.lookupRecord("silent.example");
        assertThat(r.kind()).isEqualTo(Kind.TEMPORARY_ERROR);
        assertThat(r.reason()).contains("time-out");
    }

    @Test
    void truncatedUdpAnswerIsAskedAgainOverTcp() {
        dns.txt("_mta-sts.tc.example", "v=STSv1; id=overTcp;");
        dns.fault("_mta-sts.tc.example", Type.TXT, Fault.TRUNCATE);
        RecordLookupResult r = resolver.lookupRecord("tc.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().id()).isEqualTo("overTcp");
        assertThat(dns.tcpQueries("_mta-sts.tc.example", Type.TXT)).isEqualTo(1);
    }

    @Test
    void answerTooBigForUdpIsFetchedOverTcp() {
        // Ten unrelated 200-byte TXT records do not fit in a 512-byte UDP answer.
        String filler = "x".repeat(200);
        for (int i = 0; i < 10; i++) {
            dns.txt("_mta-sts.big.example", "filler" + i + "=" + filler);
        }
        dns.txt("_mta-sts.big.example", "v=STSv1; id=big;");
        RecordLookupResult r = resolver.lookupRecord("big.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(dns.tcpQueries("_mta-sts.big.example", Type.TXT)).isEqualTo(1);
    }

    @Test
    void everyLookupAsksTheServerAgain() {
        dns.txt("_mta-sts.nocache.example", "v=STSv1; id=1;");
        resolver.lookupRecord("nocache.example");
        resolver.lookupRecord("nocache.example");
        assertThat(dns.queries("_mta-sts.nocache.example", Type.TXT)).isEqualTo(2);
    }

    @Test
    void theNextResolverIsAskedWhenOneFails() throws Exception {
        try (TestDnsServer broken = TestDnsServer.start();
             MtaStsResolver two = new MtaStsResolver(MtaStsSettings.builder()
                     .addResolver(broken.address()).addResolver(dns.address()).build())) {
            broken.fault("_mta-sts.second.example", Fault.SERVFAIL);
            dns.txt("_mta-sts.second.example", "v=STSv1; id=fromSecond;");
            RecordLookupResult r = two.lookupRecord("second.example");
            assertThat(r.kind()).isEqualTo(Kind.FOUND);
            assertThat(broken.queries("_mta-sts.second.example", Type.TXT)).isEqualTo(1);
        }
    }

    @Test
    void aNameThatIsNoDnsNameGivesATypedResult() {
        assertThat(resolver.lookupRecord("a..b").kind()).isEqualTo(Kind.NO_RECORD);
        assertThat(resolver.lookupRecord("x".repeat(300)).kind()).isEqualTo(Kind.NO_RECORD);
    }
}
