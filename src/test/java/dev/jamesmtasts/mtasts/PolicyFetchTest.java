package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.MtaStsTestbedExtension;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestDnsServer.Fault;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/**
 * RFC 8461 §3.3 (checklist §2 and the HTTP vectors of §8): fetching
 * {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} from a real HTTPS server on loopback, with
 * certificates made at test time and the host name resolved through the test DNS server.
 */
@ExtendWith(MtaStsTestbedExtension.class)
class PolicyFetchTest {
    private static final String POLICY = MtaStsTestbed.ENFORCE_POLICY;
    private static final int CAP = MtaStsSettings.DEFAULT_MAX_POLICY_BYTES;

    /** Set by {@link MtaStsTestbedExtension}. */
    private static MtaStsTestbed bed;
    private static MtaStsResolver resolver;

    @Test
    void everyFetchVerifiesTheCertificatePresentedNowNoSessionResumption() {
        bed.serve("resume.example", Response.ok(POLICY));
        assertThat(resolver.fetchPolicy("resume.example").isSuccess()).isTrue();
        // The certificate expires (or is swapped) between two fetches: a resumed TLS session would
        // skip the check; a full handshake refuses the host.
        bed.https().certificate("mta-sts.resume.example", bed.ca().issueExpired("mta-sts.resume.example"));
        PolicyFetchResult second = resolver.fetchPolicy("resume.example");
        assertThat(second.failure()).isEqualTo(FetchFailure.TLS);
        assertThat(bed.https().requests("mta-sts.resume.example")).isEqualTo(1);
    }

    @Test
    void validPolicyIsFetchedWithTheRightRequest() {
        bed.serve("ok.example", Response.ok(POLICY));
        PolicyFetchResult r = resolver.fetchPolicy("ok.example");
        assertThat(r.isSuccess()).as(r.toString()).isTrue();
        assertThat(r.policy().mode()).isEqualTo(StsPolicy.Mode.ENFORCE);
        assertThat(r.policy().matchesMx("mx1.example.net")).isTrue();
        String request = bed.https().lastRequest("mta-sts.ok.example");
        assertThat(request).startsWith("GET /.well-known/mta-sts.txt HTTP/1.1\r\n");
        assertThat(request).contains("\r\nHost: mta-sts.ok.example:" + bed.https().port() + "\r\n");
        assertThat(request).contains("\r\nConnection: close\r\n");
        // No HTTP caching (RFC 8461 §3.3): never a conditional request.
        assertThat(request).doesNotContainIgnoringCase("If-Modified-Since").doesNotContainIgnoringCase("If-None-Match");
        // The policy host was resolved through the configured DNS server, not the JVM's.
        assertThat(bed.dns().queries("mta-sts.ok.example", Type.A)).isEqualTo(1);
    }

    @Test
    void theCertificateIsChosenBySniForTheMtaStsHost() {
        // The server presents certificates by SNI only: a fetch works only if SNI = mta-sts.<domain>.
        bed.serve("sni.example", Response.ok(POLICY));
        assertThat(resolver.fetchPolicy("sni.example").isSuccess()).isTrue();
        assertThat(bed.https().requests("mta-sts.sni.example")).isEqualTo(1);
    }

    @Test
    void policyHostBehindCnameIsFollowed() {
        bed.serve("cdn-target.example", Response.ok(POLICY));
        bed.dns().cname("mta-sts.cdn.example", "mta-sts.cdn-target.example");
        bed.https().host("mta-sts.cdn.example", bed.ca().issue("mta-sts.cdn.example"), Response.ok(POLICY));
        assertThat(resolver.fetchPolicy("cdn.example").isSuccess()).isTrue();
        assertThat(bed.https().requests("mta-sts.cdn.example")).isEqualTo(1);
    }

    @Test
    void textPlainWithParametersInAnyCaseIsAccepted() {
        bed.serve("charset.example", Response.ok(POLICY).contentType("Text/Plain ; charset=UTF-8"));
        assertThat(resolver.fetchPolicy("charset.example").isSuccess()).isTrue();
    }

    @Test
    void textHtmlIsRefusedUnderStrictAndAcceptedUnderLenient() {
        bed.serve("html.example", Response.ok(POLICY).contentType("text/html"));
        PolicyFetchResult strict = resolver.fetchPolicy("html.example");
        assertThat(strict.failure()).isEqualTo(FetchFailure.CONTENT_TYPE);
        assertThat(strict.detail()).contains("text/html");
        try (MtaStsResolver lenient = new MtaStsResolver(bed.settings()
                .contentTypePolicy(MtaStsSettings.ContentTypePolicy.LENIENT).build())) {
            assertThat(lenient.fetchPolicy("html.example").isSuccess()).isTrue();
        }
    }

    @Test
    void missingContentTypeIsRefusedUnderStrict() {
        bed.serve("notype.example", Response.ok(POLICY).contentType(null));
        assertThat(resolver.fetchPolicy("notype.example").failure()).isEqualTo(FetchFailure.CONTENT_TYPE);
    }

    @Test
    void redirectIsNeverFollowed() {
        bed.serve("moved.example", Response.redirect(301, "https://mta-sts.target.example/.well-known/mta-sts.txt"));
        bed.serve("target.example", Response.ok(POLICY));
        PolicyFetchResult r = resolver.fetchPolicy("moved.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.REDIRECT);
        assertThat(r.detail()).contains("301").contains("mta-sts.target.example");
        assertThat(bed.https().requests("mta-sts.target.example")).isZero();
    }

    @Test
    void notFoundIsAnHttpStatusFailure() {
        bed.serve("404.example", Response.status(404));
        PolicyFetchResult r = resolver.fetchPolicy("404.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.HTTP_STATUS);
        assertThat(r.detail()).contains("404");
    }

    @Test
    void serverErrorIsAnHttpStatusFailure() {
        bed.serve("500.example", Response.status(500));
        assertThat(resolver.fetchPolicy("500.example").failure()).isEqualTo(FetchFailure.HTTP_STATUS);
    }

    @Test
    void chunkedBodyOf64KiBPlusTwoBytesIsTooLarge() {
        bed.serve("chunked-big.example", Response.ok(policyOfSize(CAP + 2)).chunked());
        PolicyFetchResult r = resolver.fetchPolicy("chunked-big.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.TOO_LARGE);
    }

    @Test
    void chunkedBodyOfExactly64KiBIsAccepted() {
        bed.serve("chunked-max.example", Response.ok(policyOfSize(CAP)).chunked());
        PolicyFetchResult r = resolver.fetchPolicy("chunked-max.example");
        assertThat(r.isSuccess()).as(r.toString()).isTrue();
    }

    @Test
    void contentLengthOverTheCapIsTooLarge() {
        bed.serve("length-big.example", Response.ok(policyOfSize(CAP + 1)));
        PolicyFetchResult r = resolver.fetchPolicy("length-big.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.TOO_LARGE);
        assertThat(r.detail()).contains("Content-Length");
    }

    @Test
    void bodyWithoutLengthOverTheCapIsTooLarge() {
        bed.serve("close-big.example", Response.ok(policyOfSize(CAP + 1)).withoutContentLength());
        assertThat(resolver.fetchPolicy("close-big.example").failure()).isEqualTo(FetchFailure.TOO_LARGE);
    }

    @Test
    void bodyWithoutLengthWithinTheCapIsAccepted() {
        bed.serve("close-ok.example", Response.ok(POLICY).withoutContentLength());
        assertThat(resolver.fetchPolicy("close-ok.example").isSuccess()).isTrue();
    }

    @Test
    void expiredCertificateIsATlsFailure() {
        bed.serve("expired.example", Response.ok(POLICY));
        bed.https().certificate("mta-sts.expired.example", bed.ca().issueExpired("mta-sts.expired.example"));
        PolicyFetchResult r = resolver.fetchPolicy("expired.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.TLS);
        assertThat(bed.https().requests("mta-sts.expired.example")).isZero();
    }

    @Test
    void certificateForAnotherNameIsATlsFailure() {
        bed.serve("wrongname.example", Response.ok(POLICY));
        bed.https().certificate("mta-sts.wrongname.example", bed.ca().issue("www.wrongname.example", "wrongname.example"));
        PolicyFetchResult r = resolver.fetchPolicy("wrongname.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.TLS);
        assertThat(bed.https().requests("mta-sts.wrongname.example")).isZero();
    }

    @Test
    void certificateFromAnUntrustedCaIsATlsFailure() {
        bed.serve("untrusted.example", Response.ok(POLICY));
        bed.https().certificate("mta-sts.untrusted.example",
                TestCa.create("Someone else").issue("mta-sts.untrusted.example"));
        assertThat(resolver.fetchPolicy("untrusted.example").failure()).isEqualTo(FetchFailure.TLS);
    }

    @Test
    void nxdomainForThePolicyHostIsHostNotFound() {
        PolicyFetchResult r = resolver.fetchPolicy("no-policy-host.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.HOST_NOT_FOUND);
        assertThat(r.detail()).contains("mta-sts.no-policy-host.example");
    }

    @Test
    void servfailForThePolicyHostIsDnsTemporary() {
        bed.dns().fault("mta-sts.dnsfail.example", Fault.SERVFAIL);
        assertThat(resolver.fetchPolicy("dnsfail.example").failure()).isEqualTo(FetchFailure.DNS_TEMPORARY);
    }

    @Test
    void refusedConnectionIsAConnectFailure() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closedPort = s.getLocalPort();
        }
        bed.dns().a("mta-sts.closed.example", "127.0.0.1");
        try (MtaStsResolver r = new MtaStsResolver(bed.settings().policyPort(closedPort).build())) {
            assertThat(r.fetchPolicy("closed.example").failure()).isEqualTo(FetchFailure.CONNECT);
        }
    }

    @Test
    void policySyntaxErrorIsReportedWithTheParserMessage() {
        bed.serve("syntax.example", Response.ok("version: STSv1\nmode: doubt\nmx: mx.example\nmax_age: 1\n"));
        PolicyFetchResult r = resolver.fetchPolicy("syntax.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.SYNTAX);
        assertThat(r.detail()).contains("mode");
    }

    @Test
    void invalidUtf8IsAProtocolFailure() {
        byte[] body = (POLICY + "ext: ").getBytes(StandardCharsets.US_ASCII);
        byte[] bad = java.util.Arrays.copyOf(body, body.length + 2);
        bad[body.length] = (byte) 0xC3; // a lead byte followed by a non-continuation byte
        bad[body.length + 1] = (byte) 0x28;
        bed.serve("utf8.example", Response.ok(bad));
        PolicyFetchResult r = resolver.fetchPolicy("utf8.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.PROTOCOL);
        assertThat(r.detail()).contains("UTF-8");
    }

    @Test
    void malformedStatusLineIsAProtocolFailure() {
        bed.serve("garbage.example", Response.raw("SSH-2.0-OpenSSH_9.0\r\n"));
        assertThat(resolver.fetchPolicy("garbage.example").failure()).isEqualTo(FetchFailure.PROTOCOL);
    }

    @Test
    void brokenChunkFramingIsAProtocolFailure() {
        bed.serve("badchunk.example", Response.raw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + POLICY + "\r\n0\r\n\r\n"));
        PolicyFetchResult r = resolver.fetchPolicy("badchunk.example");
        assertThat(r.failure()).isEqualTo(FetchFailure.PROTOCOL);
        assertThat(r.detail()).contains("chunk");
    }

    @Test
    void bodyShorterThanItsContentLengthIsAProtocolFailure() {
        bed.serve("short.example", Response.raw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                + "Content-Length: 500\r\n\r\n" + POLICY));
        assertThat(resolver.fetchPolicy("short.example").failure()).isEqualTo(FetchFailure.PROTOCOL);
    }

    @Test
    void http10ResponseWithCrlfOrBareLfLinesIsAccepted() {
        bed.serve("http10.example", Response.raw("HTTP/1.0 200 OK\nContent-Type: text/plain\n\n" + POLICY));
        PolicyFetchResult r = resolver.fetchPolicy("http10.example");
        assertThat(r.isSuccess()).as(r.toString()).isTrue();
    }

    @Test
    void serverTricklingOneByteASecondIsCutAtTheFetchBound() {
        bed.serve("trickle.example", Response.ok(POLICY).trickle(Duration.ofSeconds(1)));
        try (MtaStsResolver r = new MtaStsResolver(bed.settings().fetchTimeout(Duration.ofSeconds(2)).build())) {
            // Generous margin: the bound is 2 s, the body would take over 100 s.
            PolicyFetchResult result = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> r.fetchPolicy("trickle.example"));
            assertThat(result.failure()).isEqualTo(FetchFailure.TIMEOUT);
            assertThat(bed.https().requests("mta-sts.trickle.example")).isEqualTo(1);
        }
    }

    @Test
    void serverThatNeverStartsTlsIsCutAtTheFetchBound() throws Exception {
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket mute = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(mute.accept()); // accept and say nothing
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            bed.dns().a("mta-sts.mute.example", "127.0.0.1");
            try (MtaStsResolver r = new MtaStsResolver(bed.settings()
                    .policyPort(mute.getLocalPort()).fetchTimeout(Duration.ofSeconds(1)).build())) {
                PolicyFetchResult result = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> r.fetchPolicy("mute.example"));
                assertThat(result.failure()).isEqualTo(FetchFailure.TIMEOUT);
            }
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void trustStoreFilesInPemPkcs12AndJksAreUsed(@TempDir Path dir) throws Exception {
        bed.serve("truststore.example", Response.ok(POLICY));
        Path pem = bed.ca().writePem(dir.resolve("ca.pem"));
        Path p12 = bed.ca().writeTrustStore(dir.resolve("ca.p12"));
        Path jks = dir.resolve("ca.jks");
        java.security.KeyStore ks = java.security.KeyStore.getInstance("JKS");
        ks.load(null, null);
        ks.setCertificateEntry("ca", bed.ca().certificate());
        try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(jks)) {
            ks.store(out, "jkspass".toCharArray());
        }
        try (MtaStsResolver viaPem = new MtaStsResolver(bed.settings().trustStore(pem, null).build());
             MtaStsResolver viaP12 = new MtaStsResolver(bed.settings()
                     .trustStore(p12, TestCa.password().toCharArray()).build());
             MtaStsResolver viaJks = new MtaStsResolver(bed.settings()
                     .trustStore(jks, "jkspass".toCharArray()).build())) {
            assertThat(viaPem.fetchPolicy("truststore.example").isSuccess()).isTrue();
            assertThat(viaP12.fetchPolicy("truststore.example").isSuccess()).isTrue();
            assertThat(viaJks.fetchPolicy("truststore.example").isSuccess()).isTrue();
        }
    }

    @Test
    void jvmDefaultTrustDoesNotTrustTheTestCa() {
        bed.serve("default-trust.example", Response.ok(POLICY));
        try (MtaStsResolver r = new MtaStsResolver(bed.settings().build().toBuilder()
                .trustStore(Path.of(System.getProperty("java.home"), "lib", "security", "cacerts"), null).build())) {
            assertThat(r.fetchPolicy("default-trust.example").failure()).isEqualTo(FetchFailure.TLS);
        }
    }

    /** A valid policy padded with an extension line to exactly {@code size} bytes. */
    static String policyOfSize(int size) {
        String head = POLICY + "padding: ";
        int pad = size - head.length() - 1;
        return head + "x".repeat(pad) + "\n";
    }
}
