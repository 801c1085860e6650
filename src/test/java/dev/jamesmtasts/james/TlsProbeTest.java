package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;

import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.testing.TestCa;

class TlsProbeTest {
    private static final TestCa CA = TestCa.create("probe CA");

    @Test
    void dnsIdMatchingFollowsRfc6125AsRfc8461Asks() {
        X509Certificate wildcard = CA.issue("*.mx.example.com", "mx.example.net").certificate();
        assertThat(TlsProbe.matchesDnsId(wildcard, "a.mx.example.com")).isTrue();
        assertThat(TlsProbe.matchesDnsId(wildcard, "A.MX.example.com.")).isTrue();
        assertThat(TlsProbe.matchesDnsId(wildcard, "mx.example.com")).isFalse();
        assertThat(TlsProbe.matchesDnsId(wildcard, "a.b.mx.example.com")).isFalse();
        assertThat(TlsProbe.matchesDnsId(wildcard, "mx.example.net")).isTrue();
        assertThat(TlsProbe.matchesDnsId(wildcard, "evilmx.example.net")).isFalse();
    }

    private static SSLHandshakeException handshake(Throwable cause) {
        SSLHandshakeException e = new SSLHandshakeException("handshake");
        e.initCause(cause);
        return e;
    }

    @Test
    void handshakeFailuresAreClassified() {
        assertThat(TlsProbe.classify(handshake(new CertificateExpiredException("expired"))))
                .isEqualTo(CertificateVerdict.EXPIRED);
        assertThat(TlsProbe.classify(handshake(new CertificateException("No subject alternative DNS name matching x found."))))
                .isEqualTo(CertificateVerdict.HOST_MISMATCH);
        assertThat(TlsProbe.classify(handshake(new CertPathBuilderException("unable to find valid certification path"))))
                .isEqualTo(CertificateVerdict.UNTRUSTED);
        assertThat(TlsProbe.classify(new SSLHandshakeException("Received fatal alert: handshake_failure")))
                .isEqualTo(CertificateVerdict.HANDSHAKE_FAILED);
    }
}
