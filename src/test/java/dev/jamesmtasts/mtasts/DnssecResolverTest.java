package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.Type;

import dev.jamesmtasts.mtasts.DnssecAnswer.Status;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestDnsServer.SignatureFault;

/**
 * {@link DnssecResolver} against {@link TestDnsServer}'s signed zones over real UDP/TCP on loopback,
 * under a test root trust anchor: secure, insecure (unsigned child, and a signed child whose DS the
 * parent does not publish), bogus (bad, expired, missing signature; wrong anchor) and temporary
 * (time-out, SERVFAIL, CNAME loop) are told apart (RFC 4035 §4.3, §5).
 */
class DnssecResolverTest {
    private static final Duration QUERY_TIMEOUT = Duration.ofMillis(700);
    private static final Duration BUDGET = Duration.ofSeconds(4);
    private static TestDnsServer dns;
    private static String anchor;

    @BeforeAll
    static void zones() throws Exception {
        dns = TestDnsServer.start();
        dns.signedZone(".").signedZone("test.").signedZone("example.test.")
                .unsignedZone("plain.test.").signedZone("island.test.").dsPublished("island.test.", false)
                .signedZone("slow.test.");
        dns.mx("example.test.", 10, "mx.example.test.").a("mx.example.test.", "127.0.0.1")
                .tlsa("_25._tcp.mx.example.test.", 3, 1, 1, bytes(32, 1));
        dns.mx("plain.test.", 10, "mx.plain.test.").a("mx.plain.test.", "127.0.0.1")
                .tlsa("_25._tcp.mx.plain.test.", 3, 1, 1, bytes(32, 2));
        dns.mx("island.test.", 10, "mx.island.test.");
        dns.mx("slow.test.", 10, "mx.slow.test.");
        for (String bogus : List.of("badsig", "expired", "missing")) {
            dns.tlsa("_25._tcp." + bogus + ".example.test.", 3, 1, 1, bytes(32, 3));
        }
        dns.signatureFault("_25._tcp.badsig.example.test.", Type.TLSA, SignatureFault.BAD_SIGNATURE)
                .signatureFault("_25._tcp.expired.example.test.", Type.TLSA, SignatureFault.EXPIRED)
                .signatureFault("_25._tcp.missing.example.test.", Type.TLSA, SignatureFault.MISSING);
        anchor = dns.trustAnchor(".");
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    private static DnssecResolver resolver() {
        return resolver(anchor);
    }

    private static DnssecResolver resolver(String anchors) {
        return new DnssecResolver(List.of(dns.address()), QUERY_TIMEOUT, BUDGET, anchors);
    }

    @Test
    void aSignedMxAndTlsaAreSecure() {
        DnssecResolver r = resolver();
        DnssecAnswer mx = r.mx("example.test");
        assertThat(mx.status()).as(mx.toString()).isEqualTo(Status.SECURE);
        assertThat(mx.authenticated()).isTrue();
        assertThat(mx.records()).singleElement().isInstanceOfSatisfying(MXRecord.class,
                m -> assertThat(m.getTarget().toString()).isEqualTo("mx.example.test."));
        DnssecAnswer tlsa = r.tlsa("mx.example.test");
        assertThat(tlsa.status()).as(tlsa.toString()).isEqualTo(Status.SECURE);
        assertThat(tlsa.owner()).isEqualTo("_25._tcp.mx.example.test.");
        assertThat(tlsa.records()).singleElement().isInstanceOfSatisfying(TLSARecord.class,
                t -> assertThat(t.getCertificateUsage()).isEqualTo(3));
    }

    @Test
    void addressLooksAtAThenAaaaAndTheAnchorCheckIsSecure() {
        dns.aaaa("v6.example.test.", "::1");
        DnssecResolver r = resolver();
        DnssecAnswer a = r.address("mx.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.SECURE);
        assertThat(a.ttlSeconds()).isEqualTo(300);
        DnssecAnswer v6 = r.address("v6.example.test");
        assertThat(v6.status()).as(v6.toString()).isEqualTo(Status.SECURE);
        assertThat(v6.detail()).contains("AAAA");
        assertThat(r.address("mx.plain.test").status()).isEqualTo(Status.INSECURE);
        DnssecAnswer check = r.anchorCheck();
        assertThat(check.status()).as(check.toString()).isEqualTo(Status.SECURE);
    }

    @Test
    void theAnchorCheckIsBogusWhenTheServerStripsSignatures() throws Exception {
        try (TestDnsServer stripping = TestDnsServer.start()) {
            stripping.a("example.test.", "127.0.0.1"); // no zone declared: answers without any DNSSEC record
            DnssecAnswer check = new DnssecResolver(List.of(stripping.address()), QUERY_TIMEOUT, BUDGET, anchor)
                    .anchorCheck();
            assertThat(check.status()).as(check.toString()).isEqualTo(Status.BOGUS);
        }
    }

    @Test
    void anUnsignedChildUnderASignedParentIsInsecure() {
        DnssecAnswer mx = resolver().mx("plain.test.");
        assertThat(mx.status()).as(mx.toString()).isEqualTo(Status.INSECURE);
        assertThat(mx.records()).hasSize(1);
        assertThat(mx.authenticated()).isFalse();
        assertThat(resolver().tlsa("mx.plain.test").status()).isEqualTo(Status.INSECURE);
    }

    @Test
    void aSignedChildWithoutDsInItsParentIsInsecureNotSecure() {
        DnssecAnswer mx = resolver().mx("island.test.");
        assertThat(mx.status()).as(mx.toString()).isEqualTo(Status.INSECURE);
    }

    @Test
    void aBadSignatureIsBogus() {
        DnssecAnswer a = resolver().tlsa("badsig.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.BOGUS);
        assertThat(a.records()).isEmpty();
        assertThat(a.detail()).contains("DNSSEC validation failed");
    }

    @Test
    void anExpiredSignatureIsBogus() {
        DnssecAnswer a = resolver().tlsa("expired.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.BOGUS);
    }

    @Test
    void aMissingSignatureInASignedZoneIsBogusNotInsecure() {
        DnssecAnswer a = resolver().tlsa("missing.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.BOGUS);
    }

    @Test
    void aTrustAnchorThatMatchesNoKeyMakesEverythingBogus() throws Exception {
        try (TestDnsServer other = TestDnsServer.start()) {
            other.signedZone(".");
            DnssecAnswer a = resolver(other.trustAnchor(".")).mx("example.test");
            assertThat(a.status()).as(a.toString()).isEqualTo(Status.BOGUS);
        }
    }

    @Test
    void provenDenialsAreAuthenticated() {
        DnssecResolver r = resolver();
        DnssecAnswer none = r.tlsa("nothing-here.example.test");
        assertThat(none.status()).as(none.toString()).isIn(Status.NXDOMAIN, Status.NODATA);
        assertThat(none.authenticated()).as(none.toString()).isTrue();
        DnssecAnswer noTxt = r.lookup("mx.example.test.", Type.TXT);
        assertThat(noTxt.status()).as(noTxt.toString()).isEqualTo(Status.NODATA);
        assertThat(noTxt.authenticated()).isTrue();
        DnssecAnswer unsignedDenial = r.tlsa("nothing-here.plain.test");
        assertThat(unsignedDenial.status()).as(unsignedDenial.toString()).isIn(Status.NXDOMAIN, Status.NODATA);
        assertThat(unsignedDenial.authenticated()).isFalse();
    }

    @Test
    void aServfailFromUpstreamIsTemporary() {
        dns.fault("_25._tcp.servfail.example.test.", TestDnsServer.Fault.SERVFAIL);
        DnssecAnswer a = resolver().tlsa("servfail.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.TEMPORARY);
    }

    @Test
    void anUnansweredQueryIsTemporaryNeverSecure() {
        dns.fault("_25._tcp.silent.example.test.", TestDnsServer.Fault.DROP);
        DnssecAnswer a = resolver().tlsa("silent.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.TEMPORARY);
    }

    @Test
    void aDnskeyThatNeverComesIsNeverSecure() {
        dns.fault("slow.test.", Type.DNSKEY, TestDnsServer.Fault.DROP);
        try {
            DnssecAnswer a = resolver().mx("slow.test");
            assertThat(a.status()).as(a.toString()).isEqualTo(Status.TEMPORARY);
            assertThat(a.records()).isEmpty();
        } finally {
            dns.fault("slow.test.", Type.DNSKEY, null);
        }
    }

    @Test
    void aValidatorSlowerThanTheBudgetIsTemporary() {
        dns.delay("_25._tcp.sluggish.example.test.", Duration.ofSeconds(3));
        dns.tlsa("_25._tcp.sluggish.example.test.", 3, 1, 1, bytes(32, 9));
        DnssecResolver r = new DnssecResolver(List.of(dns.address()), Duration.ofSeconds(5), Duration.ofMillis(800), anchor);
        DnssecAnswer a = r.tlsa("sluggish.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.TEMPORARY);
        assertThat(a.detail()).contains("time-out");
    }

    @Test
    void aHugeSignedAnswerComesOverTcpAndValidates() {
        for (int i = 0; i < 120; i++) {
            dns.tlsa("_25._tcp.big.example.test.", 3, 0, 2, bytes(64, i));
        }
        DnssecAnswer a = resolver().tlsa("big.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.SECURE);
        assertThat(a.records()).hasSize(120);
        assertThat(dns.tcpQueries("_25._tcp.big.example.test.", Type.TLSA)).isPositive();
    }

    @Test
    void aCnameLoopIsTemporaryNeverSecure() {
        dns.cname("_25._tcp.loop1.example.test.", "_25._tcp.loop2.example.test.")
                .cname("_25._tcp.loop2.example.test.", "_25._tcp.loop1.example.test.");
        // The recursive upstream gives up on the loop (SERVFAIL): nothing was validated.
        DnssecAnswer a = resolver().tlsa("loop1.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.TEMPORARY);
        assertThat(a.records()).isEmpty();
        // An upstream that hands the loop over unproven: the validator rejects it, never secure.
        dns.chaseCnames(false);
        try {
            DnssecAnswer b = resolver().tlsa("loop1.example.test");
            assertThat(b.status()).as(b.toString()).isIn(Status.TEMPORARY, Status.BOGUS, Status.NODATA);
            assertThat(b.records()).isEmpty();
        } finally {
            dns.chaseCnames(true);
        }
    }

    @Test
    void aSignedCnameIsFollowedAndTheOwnerIsItsTarget() {
        dns.cname("_25._tcp.alias.example.test.", "_25._tcp.mx.example.test.");
        DnssecAnswer a = resolver().tlsa("alias.example.test");
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.SECURE);
        assertThat(a.owner()).isEqualTo("_25._tcp.mx.example.test.");
    }

    @Test
    void networkTextInTheReasonIsEscaped() {
        String hostile = "evil\\010\\027[31m.example.test.";
        dns.tlsa("_25._tcp." + hostile, 3, 1, 1, bytes(32, 4))
                .signatureFault("_25._tcp." + hostile, Type.TLSA, SignatureFault.BAD_SIGNATURE);
        DnssecAnswer a = resolver().tlsa(hostile);
        assertThat(a.status()).as(a.toString()).isEqualTo(Status.BOGUS);
        assertThat(a.detail()).doesNotContain("\n", "\u001b");
        assertThat(a.toString()).doesNotContain("\n", "\u001b");
    }

    @Test
    void trustAnchorsMustBeDsOrDnskeyRecords() {
        assertThat(DnssecResolver.rootTrustAnchors()).contains(". 172800 IN DS 20326 8 2", ". 172800 IN DS 38696 8 2");
        DnssecResolver.checkTrustAnchors(DnssecResolver.rootTrustAnchors());
        assertThatThrownBy(() -> DnssecResolver.checkTrustAnchors("; nothing\n"))
                .isInstanceOf(SettingException.class).hasMessageContaining("dnssecTrustAnchors must hold at least one");
        assertThatThrownBy(() -> DnssecResolver.checkTrustAnchors(". 300 IN A 127.0.0.1\n"))
                .isInstanceOf(SettingException.class).hasMessageContaining("only DS or DNSKEY");
        assertThatThrownBy(() -> DnssecResolver.checkTrustAnchors(". IN DS not-a-number\n"))
                .isInstanceOf(SettingException.class).hasMessageContaining("zone-file format");
        assertThatThrownBy(() -> resolver("garbage \u001b[31m"))
                .isInstanceOf(SettingException.class).satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b"));
    }

    private static byte[] bytes(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }
}
