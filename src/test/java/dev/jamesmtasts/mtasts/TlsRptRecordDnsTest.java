package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import dev.jamesmtasts.mtasts.TlsRptLookupResult.Kind;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestDnsServer.Fault;

/**
 * RFC 8460 §3 over real DNS: the TXT lookup of {@code _smtp._tls.<domain>} against an authoritative
 * server on loopback, through the same client (one deadline, CNAME hops, TCP fallback) as the
 * {@code _mta-sts} lookup.
 */
class TlsRptRecordDnsTest {
    private static TestDnsServer dns;
    /** For answers: patient, so that a slow first query on a loaded machine never reads as a time-out. */
    private static MtaStsResolver resolver;
    /** For the time-out cases: short, so that they end soon. */
    private static MtaStsResolver impatient;

    @BeforeAll
    static void start() throws Exception {
        dns = TestDnsServer.start();
        resolver = new MtaStsResolver(MtaStsSettings.builder()
                .addResolver(dns.address())
                .dnsTimeout(Duration.ofSeconds(10))
                .build());
        impatient = new MtaStsResolver(MtaStsSettings.builder()
                .addResolver(dns.address())
                .dnsTimeout(Duration.ofMillis(300))
                .build());
    }

    @AfterAll
    static void stop() {
        resolver.close();
        impatient.close();
        dns.close();
    }

    @Test
    void oneRecordIsFound() {
        dns.txt("_smtp._tls.found.example", "v=TLSRPTv1; rua=mailto:tlsrpt@found.example");
        TlsRptLookupResult r = resolver.lookupTlsRpt("found.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().rua().get(0).mailbox()).isEqualTo("tlsrpt@found.example");
        assertThat(r.reason()).isEqualTo("v=TLSRPTv1; rua=mailto:tlsrpt@found.example");
        assertThat(dns.queries("_smtp._tls.found.example", Type.TXT)).isEqualTo(1);
    }

    @Test
    void multiStringTxtRdataIsConcatenatedWithNoSeparator() {
        dns.txt("_smtp._tls.split.example", "v=TLSRPTv1; rua=mai", "lto:tlsrpt@split", ".example");
        TlsRptLookupResult r = resolver.lookupTlsRpt("split.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().rua().get(0).mailbox()).isEqualTo("tlsrpt@split.example");
    }

    @Test
    void aRecordLongerThanOneStringIsReadWhole() {
        String path = "p".repeat(200);
        dns.txt("_smtp._tls.long.example", "v=TLSRPTv1; rua=https://r.long.example/" + path,
                ",https://s.long.example/" + path, ",mailto:tlsrpt@long.example");
        TlsRptLookupResult r = resolver.lookupTlsRpt("long.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().rua()).hasSize(3);
        assertThat(r.record().rua().get(1).httpsUri().getPath()).isEqualTo("/" + path);
    }

    @Test
    void cnameAtTheRecordNameIsFollowed() {
        dns.cname("_smtp._tls.alias.example", "_smtp._tls.provider.example");
        dns.txt("_smtp._tls.provider.example", "v=TLSRPTv1; rua=https://reports.provider.example/tlsrpt");
        TlsRptLookupResult r = resolver.lookupTlsRpt("alias.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().rua().get(0).httpsUri().getHost()).isEqualTo("reports.provider.example");
    }

    @Test
    void cnameChainIsFollowedEvenWhenTheServerAnswersOnlyTheCname() {
        dns.chaseCnames(false);
        try {
            dns.cname("_smtp._tls.hop.example", "hop1.provider.example");
            dns.cname("hop1.provider.example", "hop2.provider.example");
            dns.txt("hop2.provider.example", "v=TLSRPTv1; rua=mailto:twohops@provider.example");
            TlsRptLookupResult r = resolver.lookupTlsRpt("hop.example");
            assertThat(r.kind()).isEqualTo(Kind.FOUND);
            assertThat(dns.queries("hop2.provider.example", Type.TXT)).isEqualTo(1);
        } finally {
            dns.chaseCnames(true);
        }
    }

    @Test
    void twoTlsRptRecordsMeanNoTlsRpt() {
        dns.txt("_smtp._tls.two.example", "v=TLSRPTv1; rua=mailto:a@two.example");
        dns.txt("_smtp._tls.two.example", "v=TLSRPTv1; rua=mailto:b@two.example");
        TlsRptLookupResult r = resolver.lookupTlsRpt("two.example");
        assertThat(r.kind()).isEqualTo(Kind.NONE);
        assertThat(r.record()).isNull();
        assertThat(r.reason()).contains("2 TLS-RPT records", "RFC 8460 §3");
    }

    @Test
    void oneValidAndOneInvalidTlsRptRecordAreStillTwo() {
        dns.txt("_smtp._tls.twobad.example", "v=TLSRPTv1; rua=mailto:a@twobad.example");
        dns.txt("_smtp._tls.twobad.example", "v=TLSRPTv1; garbage");
        assertThat(resolver.lookupTlsRpt("twobad.example").kind()).isEqualTo(Kind.NONE);
    }

    @Test
    void aRecordNextToUnrelatedTxtIsFound() {
        dns.txt("_smtp._tls.mixed.example", "v=spf1 -all");
        dns.txt("_smtp._tls.mixed.example", "v=TLSRPTv10; rua=mailto:not@mixed.example");
        dns.txt("_smtp._tls.mixed.example", "v=TLSRPTv1; rua=mailto:yes@mixed.example");
        dns.txt("_smtp._tls.mixed.example", "v=STSv1; id=1");
        TlsRptLookupResult r = resolver.lookupTlsRpt("mixed.example");
        assertThat(r.kind()).isEqualTo(Kind.FOUND);
        assertThat(r.record().rua().get(0).mailbox()).isEqualTo("yes@mixed.example");
    }

    @Test
    void onlyUnrelatedTxtIsNone() {
        dns.txt("_smtp._tls.other.example", "v=spf1 -all");
        dns.txt("_smtp._tls.other.example", "rua=mailto:a@other.example; v=TLSRPTv1");
        TlsRptLookupResult r = resolver.lookupTlsRpt("other.example");
        assertThat(r.kind()).isEqualTo(Kind.NONE);
        assertThat(r.reason()).contains("2 TXT record(s)", "none starting with v=TLSRPTv1");
    }

    @Test
    void nxdomainAndNodataAreNone() {
        TlsRptLookupResult nx = resolver.lookupTlsRpt("nxdomain.example");
        assertThat(nx.kind()).as(nx.reason()).isEqualTo(Kind.NONE);
        dns.a("_smtp._tls.nodata.example", "192.0.2.1");
        TlsRptLookupResult r = resolver.lookupTlsRpt("nodata.example");
        assertThat(r.kind()).isEqualTo(Kind.NONE);
        assertThat(r.reason()).contains("no TXT");
    }

    @Test
    void theMtaStsRecordIsNotATlsRptRecord() {
        dns.txt("_mta-sts.stsonly.example", "v=STSv1; id=1");
        assertThat(resolver.lookupTlsRpt("stsonly.example").kind()).isEqualTo(Kind.NONE);
        assertThat(dns.queries("_smtp._tls.stsonly.example", Type.TXT)).isEqualTo(1);
    }

    @Test
    void anInvalidRecordIsInvalidWithItsReason() {
        dns.txt("_smtp._tls.invalid.example", "v=TLSRPTv1; rua=mailto:a!b@invalid.example");
        TlsRptLookupResult r = resolver.lookupTlsRpt("invalid.example");
        assertThat(r.kind()).isEqualTo(Kind.INVALID);
        assertThat(r.reason()).contains("'!' must be percent-encoded");
    }

    @Test
    void aRecordWithOnlyUnknownSchemesIsInvalid() {
        dns.txt("_smtp._tls.http.example", "v=TLSRPTv1; rua=http://r.http.example/tlsrpt");
        TlsRptLookupResult r = resolver.lookupTlsRpt("http.example");
        assertThat(r.kind()).isEqualTo(Kind.INVALID);
        assertThat(r.reason()).contains("no usable rua", "'http://r.http.example/tlsrpt'");
    }

    @Test
    void anOversizedRecordIsInvalidAndFetchedOverTcp() {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            big.append(i == 0 ? "v=TLSRPTv1; rua=" : ",").append("https://r.big.example/").append("q".repeat(220));
        }
        String[] strings = big.toString().split("(?<=\\G.{250})");
        dns.txt("_smtp._tls.big.example", strings);
        TlsRptLookupResult r = resolver.lookupTlsRpt("big.example");
        assertThat(r.kind()).isEqualTo(Kind.INVALID);
        assertThat(r.reason()).contains("more than the " + TlsRptRecord.MAX_RECORD_LENGTH);
        assertThat(dns.tcpQueries("_smtp._tls.big.example", Type.TXT)).isEqualTo(1);
    }

    @Test
    void hostileBytesInTheRecordReachTheReasonEscaped() {
        // \013\010 = CR LF, \027 = ESC, \195\169 = "é" in UTF-8, as bytes on the wire.
        dns.txt("_smtp._tls.hostile.example", "v=TLSRPTv1; rua=mailto:a@hostile.example\\013\\010\\027[31m\\195\\169");
        TlsRptLookupResult r = resolver.lookupTlsRpt("hostile.example");
        assertThat(r.kind()).isEqualTo(Kind.INVALID);
        assertThat(r.reason().codePoints().filter(SafeText::isUnsafe).count()).isZero();
        assertThat(r.reason()).contains("\\x0D\\x0A\\x1B[31m");
    }

    @Test
    void servfailIsTemporary() {
        dns.txt("_smtp._tls.servfail.example", "v=TLSRPTv1; rua=mailto:a@servfail.example");
        dns.fault("_smtp._tls.servfail.example", Fault.SERVFAIL);
        TlsRptLookupResult r = resolver.lookupTlsRpt("servfail.example");
        assertThat(r.kind()).isEqualTo(Kind.TEMPORARY);
        assertThat(r.reason()).contains("SERVFAIL");
    }

    @Test
    void aTimeOutIsTemporaryNeverNone() {
        dns.fault("_smtp._tls.silent.example", Fault.DROP);
        TlsRptLookupResult r = impatient.lookupTlsRpt("silent.example");
        assertThat(r.kind()).isEqualTo(Kind.TEMPORARY);
        assertThat(r.reason()).contains("time-out");
    }

    @Test
    void aTimeOutAtTheEndOfACnameIsTemporaryNeverNone() {
        dns.chaseCnames(false);
        try {
            dns.cname("_smtp._tls.slowalias.example", "tlsrpt.slow.example");
            dns.fault("tlsrpt.slow.example", Fault.DROP);
            assertThat(impatient.lookupTlsRpt("slowalias.example").kind()).isEqualTo(Kind.TEMPORARY);
        } finally {
            dns.chaseCnames(true);
        }
    }

    @Test
    void aCnameLoopIsTemporaryNeverNone() {
        dns.chaseCnames(false);
        try {
            dns.cname("_smtp._tls.loop.example", "a.loop.example");
            dns.cname("a.loop.example", "_smtp._tls.loop.example");
            assertThat(resolver.lookupTlsRpt("loop.example").kind()).isEqualTo(Kind.TEMPORARY);
        } finally {
            dns.chaseCnames(true);
        }
    }

    @Test
    void aNameThatIsNoDnsNameGivesATypedResult() {
        assertThat(resolver.lookupTlsRpt("a..b").kind()).isEqualTo(Kind.NONE);
        assertThat(resolver.lookupTlsRpt("x".repeat(300)).kind()).isEqualTo(Kind.NONE);
    }
}
