package dev.jamesmtasts.dane;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TLSARecord;

import dev.jamesmtasts.dane.TlsaVerification.Outcome;
import dev.jamesmtasts.testing.TestCa;

/**
 * {@link TlsaVerifier} with real certificates from the test CA (root → intermediate → server):
 * every usable usage/selector/matching type combination (RFC 7672 §3.1), the unusable ones
 * (PKIX-TA/PKIX-EE, RFC 7672 §3.1.3; unknown values; malformed data), DANE-EE without name or expiry
 * check (§3.1.1), DANE-TA with chain validation and name check (§3.1.2, §3.2.2, §3.2.3).
 */
class TlsaVerifierTest {
    private static final String MX = "mx.example.test";
    private static final String TLSA_BASE = "mx.example.test.";
    private static TestCa root;
    private static TestCa intermediate;
    private static TestCa.Issued server;

    @BeforeAll
    static void certificates() {
        root = TestCa.create("DANE Test Root");
        intermediate = root.intermediate("DANE Test Intermediate");
        server = intermediate.issue(MX);
    }

    static Stream<Arguments> usableCombinations() {
        List<Arguments> all = new ArrayList<>();
        for (int usage : new int[] {2, 3}) {
            for (int selector : new int[] {0, 1}) {
                for (int matchingType : new int[] {0, 1, 2}) {
                    all.add(Arguments.of(usage, selector, matchingType));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("usableCombinations")
    void eachUsableCombinationMatches(int usage, int selector, int matchingType) throws Exception {
        // DANE-EE names the server certificate; DANE-TA names the intermediate CA.
        X509Certificate target = usage == 3 ? server.certificate() : intermediate.certificate();
        TLSARecord r = tlsa(usage, selector, matchingType, target);
        TlsaVerification v = verify(List.of(r), server.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.MATCHED);
        assertThat(v.usage()).isEqualTo(usage);
        assertThat(v.selector()).isEqualTo(selector);
        assertThat(v.matchingType()).isEqualTo(matchingType);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("usableCombinations")
    void eachUsableCombinationRejectsAnotherCertificate(int usage, int selector, int matchingType) throws Exception {
        TestCa otherRoot = TestCa.create("Other Root");
        TestCa otherIntermediate = otherRoot.intermediate("Other Intermediate");
        X509Certificate target = usage == 3 ? otherIntermediate.issue(MX).certificate() : otherIntermediate.certificate();
        TlsaVerification v = verify(List.of(tlsa(usage, selector, matchingType, target)), server.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.MISMATCH);
        assertThat(v.matched()).isFalse();
    }

    @Test
    void pkixUsagesAreUnusableForSmtpEvenWhenTheyMatch() throws Exception {
        List<TLSARecord> records = List.of(tlsa(0, 0, 1, root.certificate()), tlsa(1, 1, 1, server.certificate()));
        TlsaVerification v = verify(records, server.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.NO_USABLE_RECORDS);
    }

    @Test
    void unknownParametersAreUnusable() throws Exception {
        byte[] hash = sha256(server.certificate().getPublicKey().getEncoded());
        List<TLSARecord> records = List.of(record(4, 1, 1, hash), record(3, 2, 1, hash), record(3, 1, 3, hash),
                record(255, 1, 1, hash));
        assertThat(verify(records, server.chain()).outcome()).isEqualTo(Outcome.NO_USABLE_RECORDS);
    }

    @Test
    void malformedAssociationDataIsUnusable() throws Exception {
        byte[] hash = sha256(server.certificate().getPublicKey().getEncoded());
        List<TLSARecord> records = List.of(
                record(3, 1, 1, java.util.Arrays.copyOf(hash, 31)), // SHA-256 needs 32 bytes
                record(3, 1, 2, hash)); // SHA-512 needs 64 bytes
        TlsaVerification v = verify(records, server.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.NO_USABLE_RECORDS);
        assertThat(TlsaVerifier.usable(records.get(0))).isFalse();
    }

    @Test
    void oneUsableMatchWinsOverUnusableAndMismatchingRecords() throws Exception {
        TestCa other = TestCa.create("Unrelated");
        List<TLSARecord> records = List.of(tlsa(1, 1, 1, server.certificate()), tlsa(3, 1, 1, other.certificate()),
                tlsa(3, 1, 1, server.certificate()));
        TlsaVerification v = verify(records, server.chain());
        assertThat(v.outcome()).isEqualTo(Outcome.MATCHED);
        assertThat(v.usage()).isEqualTo(3);
    }

    @Test
    void daneEeChecksNeitherNameNorExpiry() throws Exception {
        TestCa.Issued expiredElsewhere = TestCa.create("Self").issueExpired("not-the-mx.example");
        TlsaVerification v = verify(List.of(tlsa(3, 1, 1, expiredElsewhere.certificate())), expiredElsewhere.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.MATCHED);
    }

    @Test
    void daneTaRequiresTheServerCertificateToNameTheMxOrTheTlsaBase() throws Exception {
        TestCa.Issued wrongName = intermediate.issue("elsewhere.example");
        TLSARecord ta = tlsa(2, 0, 1, intermediate.certificate());
        TlsaVerification v = verify(List.of(ta), wrongName.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.NAME_MISMATCH);
        // RFC 7672 §3.2.2: the TLSA base domain (after a CNAME) is a reference identifier as well.
        TlsaVerification viaBase = TlsaVerifier.verify(List.of(ta), wrongName.chain(), List.of(MX, "elsewhere.example."));
        assertThat(viaBase.outcome()).as(viaBase.toString()).isEqualTo(Outcome.MATCHED);
    }

    @Test
    void daneTaWildcardCoversExactlyOneLabel() throws Exception {
        TestCa.Issued wildcard = intermediate.issue("*.example.test");
        TLSARecord ta = tlsa(2, 1, 1, intermediate.certificate());
        assertThat(TlsaVerifier.verify(List.of(ta), wildcard.chain(), List.of("mx.example.test")).outcome())
                .isEqualTo(Outcome.MATCHED);
        assertThat(TlsaVerifier.verify(List.of(ta), wildcard.chain(), List.of("a.mx.example.test")).outcome())
                .isEqualTo(Outcome.NAME_MISMATCH);
        assertThat(TlsaVerifier.verify(List.of(ta), wildcard.chain(), List.of("example.test")).outcome())
                .isEqualTo(Outcome.NAME_MISMATCH);
    }

    @Test
    void daneTaValidatesTheChainBelowTheAnchor() throws Exception {
        TestCa.Issued expired = intermediate.issueExpired(MX);
        TlsaVerification v = verify(List.of(tlsa(2, 0, 1, intermediate.certificate())), expired.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.MISMATCH);
        assertThat(v.reason()).contains("does not validate");
        // A chain whose server certificate another CA signed does not validate from the matched TA.
        TestCa.Issued forged = TestCa.create("Forger").issue(MX);
        List<X509Certificate> spliced = List.of(forged.certificate(), intermediate.certificate(), root.certificate());
        TlsaVerification splice = verify(List.of(tlsa(2, 1, 2, intermediate.certificate())), spliced);
        assertThat(splice.outcome()).as(splice.toString()).isEqualTo(Outcome.MISMATCH);
    }

    @Test
    void daneTaNeverMatchesTheServerCertificateItself() throws Exception {
        TlsaVerification v = verify(List.of(tlsa(2, 0, 1, server.certificate())), server.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.MISMATCH);
    }

    @Test
    void daneTaWithTheRootAsAnchorValidatesThroughTheIntermediate() throws Exception {
        TlsaVerification v = verify(List.of(tlsa(2, 0, 2, root.certificate())), server.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.MATCHED);
    }

    @Test
    void aBareTrustAnchorKeyNeedsNoCertificateInTheChain() throws Exception {
        List<X509Certificate> withoutRoot = server.chain().subList(0, 2);
        TlsaVerification v = verify(List.of(tlsa(2, 1, 0, root.certificate())), withoutRoot);
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.MATCHED);
        assertThat(v.reason()).contains("bare trust-anchor key");
    }

    @Test
    void certificateTextInTheReasonIsEscaped() throws Exception {
        TestCa.Issued hostile = intermediate.issue("evil\u001b[31m\u0007.example");
        TlsaVerification v = verify(List.of(tlsa(2, 0, 1, intermediate.certificate())), hostile.chain());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.NAME_MISMATCH);
        assertThat(v.reason()).contains("evil").doesNotContain("\u001b", "\u0007");
    }

    @Test
    void withoutAnyDnsIdTheCommonNameIsTheName() throws Exception {
        X509Certificate cnOnly = TestCa.create(MX).certificate(); // a CA certificate: CN, no SAN
        assertThat(TlsaVerifier.namesAny(cnOnly, List.of(MX))).isTrue();
        assertThat(TlsaVerifier.namesAny(cnOnly, List.of("other.example"))).isFalse();
        // With a DNS-ID present, the CN is ignored (RFC 6125 §6.4.4).
        X509Certificate withSan = intermediate.issue(MX, "alt.example.test").certificate();
        assertThat(TlsaVerifier.namesAny(withSan, List.of("alt.example.test."))).isTrue();
    }

    @Test
    void noCertificateIsAMismatch() throws Exception {
        TlsaVerification v = verify(List.of(tlsa(3, 1, 1, server.certificate())), List.of());
        assertThat(v.outcome()).isEqualTo(Outcome.MISMATCH);
    }

    private static TlsaVerification verify(List<TLSARecord> records, List<X509Certificate> chain) {
        return TlsaVerifier.verify(records, chain, List.of(MX, TLSA_BASE));
    }

    private static TLSARecord tlsa(int usage, int selector, int matchingType, X509Certificate cert) throws Exception {
        byte[] selected = selector == 0 ? cert.getEncoded() : cert.getPublicKey().getEncoded();
        byte[] data = matchingType == 0 ? selected
                : MessageDigest.getInstance(matchingType == 1 ? "SHA-256" : "SHA-512").digest(selected);
        return record(usage, selector, matchingType, data);
    }

    private static TLSARecord record(int usage, int selector, int matchingType, byte[] data) throws Exception {
        return new TLSARecord(Name.fromString("_25._tcp." + TLSA_BASE), DClass.IN, 300, usage, selector, matchingType, data);
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
