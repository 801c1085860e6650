package dev.jamesmtasts.dane;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import dev.jamesmtasts.dane.DaneHost.Failure;
import dev.jamesmtasts.dane.DaneHost.Status;
import dev.jamesmtasts.mtasts.DnssecResolver;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestDnsServer.SignatureFault;

/**
 * {@link DanePolicy}, the RFC 7672 decision, over real validated lookups ({@link DnssecResolver} against
 * {@link TestDnsServer}'s signed zones on loopback, a test root anchor): each rule of its class comment,
 * secure / insecure / bogus / temporary at each step (MX, address, TLSA), usable and unusable records,
 * the TLSA base domain of a CNAME'd host, and the local requirement.
 */
class DanePolicyTest {
    private static TestDnsServer dns;
    private static DanePolicy policy;
    private static byte[] leafSpkiSha256;

    @BeforeAll
    static void zones() throws Exception {
        dns = TestDnsServer.start();
        TestCa ca = TestCa.create("DANE policy test CA");
        leafSpkiSha256 = MessageDigest.getInstance("SHA-256")
                .digest(ca.issue("mx.signed.test").certificate().getPublicKey().getEncoded());
        dns.signedZone(".").signedZone("test.").signedZone("signed.test.").unsignedZone("plain.test.")
                .signedZone("bad.test.").signedZone("nomx.test.");
        // signed.test: several MX hosts, each showing one case
        dns.mx("signed.test.", 10, "mx.signed.test.").a("mx.signed.test.", "127.0.0.1")
                .tlsa("_25._tcp.mx.signed.test.", 3, 1, 1, leafSpkiSha256);
        dns.mx("signed.test.", 20, "pkix.signed.test.").a("pkix.signed.test.", "127.0.0.1")
                .tlsa("_25._tcp.pkix.signed.test.", 1, 1, 1, leafSpkiSha256) // PKIX-EE: unusable for SMTP
                .tlsa("_25._tcp.pkix.signed.test.", 3, 1, 1, new byte[5]);   // SHA2-256 of the wrong length
        dns.mx("signed.test.", 30, "notlsa.signed.test.").a("notlsa.signed.test.", "127.0.0.1");
        dns.mx("signed.test.", 40, "badtlsa.signed.test.").a("badtlsa.signed.test.", "127.0.0.1")
                .tlsa("_25._tcp.badtlsa.signed.test.", 3, 1, 1, leafSpkiSha256)
                .signatureFault("_25._tcp.badtlsa.signed.test.", Type.TLSA, SignatureFault.EXPIRED);
        dns.mx("signed.test.", 50, "badaddr.signed.test.").a("badaddr.signed.test.", "127.0.0.1")
                .signatureFault("badaddr.signed.test.", Type.A, SignatureFault.BAD_SIGNATURE);
        dns.mx("signed.test.", 60, "mx.plain.test.").a("mx.plain.test.", "127.0.0.1")
                .tlsa("_25._tcp.mx.plain.test.", 3, 1, 1, leafSpkiSha256);
        dns.mx("signed.test.", 70, "silent.signed.test.").a("silent.signed.test.", "127.0.0.1")
                .fault("_25._tcp.silent.signed.test.", TestDnsServer.Fault.DROP);
        dns.mx("signed.test.", 80, "alias.signed.test.").cname("alias.signed.test.", "real.signed.test.")
                .a("real.signed.test.", "127.0.0.1").tlsa("_25._tcp.real.signed.test.", 2, 0, 1, new byte[32]);
        dns.mx("signed.test.", 90, "v6only.signed.test.").aaaa("v6only.signed.test.", "::1")
                .tlsa("_25._tcp.v6only.signed.test.", 3, 1, 1, leafSpkiSha256);
        // plain.test: unsigned, TLSA published anyway
        dns.mx("plain.test.", 10, "mx.plain.test.");
        // bad.test: its MX RRset's signature does not verify
        dns.mx("bad.test.", 10, "mx.bad.test.").signatureFault("bad.test.", Type.MX, SignatureFault.BAD_SIGNATURE);
        // nomx.test: signed, no MX: the domain is its own host
        dns.a("nomx.test.", "127.0.0.1").tlsa("_25._tcp.nomx.test.", 3, 1, 1, leafSpkiSha256);
        DnssecResolver resolver = new DnssecResolver(List.of(dns.address()), Duration.ofMillis(700),
                Duration.ofSeconds(3), dns.trustAnchor("."));
        policy = new DanePolicy(DnssecLookups.of(resolver));
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    private static DaneDomain signed() {
        DaneDomain d = policy.domain("Signed.Test.", false);
        assertThat(d.status()).as(d.toString()).isEqualTo(DaneDomain.Status.SECURE);
        return d;
    }

    @Test
    void aSecureMxRrsetListsItsHosts() {
        DaneDomain d = signed();
        assertThat(d.domain()).isEqualTo("signed.test");
        assertThat(d.hosts()).contains("mx.signed.test", "pkix.signed.test", "mx.plain.test");
        assertThat(d.defer()).isFalse();
    }

    @Test
    void secureUsableTlsaAuthenticatesTheHost() {
        DaneHost h = policy.host(signed(), "MX.signed.test.");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.USABLE);
        assertThat(h.requiresTls()).isTrue();
        assertThat(h.host()).isEqualTo("mx.signed.test");
        assertThat(h.tlsaBase()).isEqualTo("mx.signed.test");
        assertThat(h.referenceNames()).containsExactly("mx.signed.test");
        assertThat(h.policyStrings()).singleElement().asString().startsWith("3 1 1 ");
    }

    @Test
    void secureTlsaWithoutAUsableRecordRequiresTlsButDoesNotAuthenticate() {
        DaneHost h = policy.host(signed(), "pkix.signed.test");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.UNUSABLE);
        assertThat(h.requiresTls()).isTrue();
        assertThat(h.policyStrings()).hasSize(2);
        assertThat(h.verify(List.of()).outcome()).isEqualTo(TlsaVerification.Outcome.NO_USABLE_RECORDS);
    }

    @Test
    void aProvenAbsenceOfTlsaMeansNoDane() {
        DaneHost h = policy.host(signed(), "notlsa.signed.test");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.NOT_APPLICABLE);
        assertThat(h.requiresTls()).isFalse();
        assertThat(h.detail()).contains("proven");
    }

    @Test
    void bogusTlsaRecordsFailTheHost() {
        DaneHost h = policy.host(signed(), "badtlsa.signed.test");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.FAILED);
        assertThat(h.failure()).isEqualTo(Failure.DNSSEC_INVALID);
    }

    @Test
    void bogusAddressRecordsFailTheHost() {
        DaneHost h = policy.host(signed(), "badaddr.signed.test");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.FAILED);
        assertThat(h.failure()).isEqualTo(Failure.DNSSEC_INVALID);
    }

    @Test
    void aHostInAnUnsignedZoneGetsNoDaneEvenWithTlsaPublished() {
        DaneHost h = policy.host(signed(), "mx.plain.test");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.NOT_APPLICABLE);
        assertThat(h.detail()).contains("address records not signed");
    }

    @Test
    void anUnansweredTlsaLookupFailsTheHostNeverPlaintext() {
        DaneHost h = policy.host(signed(), "silent.signed.test");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.FAILED);
        assertThat(h.failure()).isEqualTo(Failure.LOOKUP_FAILED);
    }

    @Test
    void aSecureCnameMakesItsTargetTheTlsaBaseDomain() {
        DaneHost h = policy.host(signed(), "alias.signed.test");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.USABLE);
        assertThat(h.tlsaBase()).isEqualTo("real.signed.test");
        assertThat(h.referenceNames()).containsExactly("alias.signed.test", "real.signed.test");
        assertThat(h.policyStrings()).singleElement().asString().startsWith("2 0 1 ");
    }

    @Test
    void aHostWithOnlyAaaaRecordsIsLookedAtToo() {
        DaneHost h = policy.host(signed(), "v6only.signed.test");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.USABLE);
    }

    @Test
    void aHostNotInTheValidatedMxRrsetIsNotUsed() {
        DaneHost h = policy.host(signed(), "mx.attacker.test");
        assertThat(h.status()).as(h.toString()).isEqualTo(Status.FAILED);
        assertThat(h.failure()).isEqualTo(Failure.DNS_MISMATCH);
    }

    @Test
    void anUnsignedDomainGetsNoDane() {
        DaneDomain d = policy.domain("plain.test", false);
        assertThat(d.status()).as(d.toString()).isEqualTo(DaneDomain.Status.INSECURE);
        assertThat(d.defer()).isFalse();
        DaneHost h = policy.host(d, "mx.plain.test");
        assertThat(h.status()).isEqualTo(Status.NOT_APPLICABLE);
    }

    @Test
    void aBogusMxRrsetDefersTheDomain() {
        DaneDomain d = policy.domain("bad.test", false);
        assertThat(d.status()).as(d.toString()).isEqualTo(DaneDomain.Status.BOGUS);
        assertThat(d.defer()).isTrue();
        assertThat(d.detail()).contains("DNSSEC validation failed");
    }

    @Test
    void anUnansweredMxLookupDefersTheDomain() {
        dns.fault("silentmx.signed.test.", Type.MX, TestDnsServer.Fault.DROP);
        DaneDomain d = policy.domain("silentmx.signed.test", false);
        assertThat(d.status()).as(d.toString()).isEqualTo(DaneDomain.Status.TEMPORARY);
        assertThat(d.defer()).isTrue();
    }

    @Test
    void aProvenAbsenceOfMxMakesTheDomainItsOwnHost() {
        DaneDomain d = policy.domain("nomx.test", false);
        assertThat(d.status()).as(d.toString()).isEqualTo(DaneDomain.Status.SECURE);
        assertThat(d.hosts()).containsExactly("nomx.test");
        assertThat(policy.host(d, "nomx.test").status()).isEqualTo(Status.USABLE);
    }

    @Test
    void requiredDaneFailsHostsWithoutUsableRecordsAndDefersInsecureDomains() {
        DaneDomain d = policy.domain("signed.test", true);
        assertThat(d.required()).isTrue();
        assertThat(d.defer()).isFalse();
        assertThat(policy.host(d, "mx.signed.test").status()).isEqualTo(Status.USABLE);
        for (String host : List.of("pkix.signed.test", "notlsa.signed.test", "mx.plain.test")) {
            DaneHost h = policy.host(d, host);
            assertThat(h.status()).as(host + ": " + h).isEqualTo(Status.FAILED);
            assertThat(h.failure()).as(host).isEqualTo(Failure.DANE_REQUIRED);
        }
        DaneDomain plain = policy.domain("plain.test", true);
        assertThat(plain.defer()).isTrue();
        assertThat(policy.host(plain, "mx.plain.test").failure()).isEqualTo(Failure.DANE_REQUIRED);
        DaneDomain off = DaneDomain.requiredButOff("x.test", "validation not available");
        assertThat(off.defer()).isTrue();
    }

    @Test
    void hostileNamesFromTheNetworkAreEscapedInTheDetails() {
        dns.mx("hostile.signed.test.", 10, "evil\\027[31m\\010.signed.test.");
        DaneDomain d = policy.domain("hostile.signed.test", false);
        assertThat(d.status()).as(d.toString()).isEqualTo(DaneDomain.Status.SECURE);
        assertThat(d.detail()).doesNotContain("\u001b", "\n");
        DaneHost h = policy.host(d, "mx.other.test");
        assertThat(h.detail()).doesNotContain("\u001b", "\n");
        assertThat(h.toString()).doesNotContain("\u001b", "\n");
    }

    @Test
    void anOffDomainAsksNothing() {
        dns.resetCounts();
        DaneDomain d = DaneDomain.off("signed.test", "dane=off");
        assertThat(d.defer()).isFalse();
        assertThat(policy.host(d, "mx.signed.test").status()).isEqualTo(Status.NOT_APPLICABLE);
        assertThat(dns.queries("_25._tcp.mx.signed.test.", Type.TLSA)).isZero();
    }
}
