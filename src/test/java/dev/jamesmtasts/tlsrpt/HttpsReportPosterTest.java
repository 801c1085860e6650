package dev.jamesmtasts.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.MtaStsTestbedExtension;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestDnsServer.Fault;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/**
 * RFC 8460 §5.4: POSTing a gzipped report to an {@code https:} rua, against a real HTTPS server on
 * loopback (certificates from a test CA, names resolved through the test DNS server), well-behaved
 * and hostile. No assertion on wall time: a bound is shown by the typed outcome (TIMEOUT where the
 * server would hold the POST far longer; REJECTED, not TIMEOUT, where an uncapped read would wait for
 * a body that never ends); {@code assertTimeoutPreemptively} only guards against a hang.
 */
@ExtendWith(MtaStsTestbedExtension.class)
class HttpsReportPosterTest {
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);
    private static final String JSON = "{\"organization-name\":\"Example\",\"report-id\":\"r1\"}";

    /** Set by {@link MtaStsTestbedExtension}. */
    private static MtaStsTestbed bed;
    private static HttpsReportPoster poster;

    @BeforeAll
    static void startPoster() {
        poster = new HttpsReportPoster(bed.settings().build(), Duration.ofSeconds(20), HttpsReportPoster.DEFAULT_MAX_REPORT_BYTES);
    }

    @AfterAll
    static void stopPoster() {
        poster.close();
    }

    /** {@code host} resolves to 127.0.0.1 and serves {@code response} with a valid certificate; returns its rua. */
    private static String endpoint(String host, Response response) {
        bed.dns().clear(host).a(host, "127.0.0.1");
        bed.https().host(host, bed.ca().issue(host), response);
        return "https://" + host + ":" + bed.https().port() + "/v1/tlsrpt";
    }

    private static PostResult post(HttpsReportPoster p, String rua, byte[] report) {
        return assertTimeoutPreemptively(HANG_GUARD, () -> p.post(rua, report));
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static byte[] report() {
        return gzip(JSON.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theReportIsPostedAsApplicationTlsrptGzipByteForByte() {
        String host = "tlsrpt.ok.example";
        String rua = endpoint(host, Response.status(201)).replace("/v1/tlsrpt", "/v1/tlsrpt?token=a%2Fb&x=1");
        byte[] report = report();
        PostResult r = post(poster, rua, report);
        assertThat(r.outcome()).as(r.toString()).isEqualTo(PostResult.Outcome.SENT);
        assertThat(r.isSent()).isTrue();
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.retryable()).isFalse();
        String head = bed.https().lastRequest(host);
        assertThat(head).startsWith("POST /v1/tlsrpt?token=a%2Fb&x=1 HTTP/1.1\r\n");
        assertThat(head).contains("\r\nHost: " + host + ":" + bed.https().port() + "\r\n");
        assertThat(head).contains("\r\nContent-Type: application/tlsrpt+gzip\r\n");
        assertThat(head).contains("\r\nContent-Length: " + report.length + "\r\n");
        assertThat(head).contains("\r\nConnection: close\r\n");
        assertThat(bed.https().lastRequestBody(host)).isEqualTo(report);
        assertThat(bed.https().requests(host)).isEqualTo(1);
    }

    @Test
    void twoHundredWithAnEmptyPathIsSentToSlash() {
        String host = "tlsrpt.root.example";
        String rua = endpoint(host, Response.ok("thanks")).replace("/v1/tlsrpt", "");
        PostResult r = post(poster, rua, report());
        assertThat(r.outcome()).isEqualTo(PostResult.Outcome.SENT);
        assertThat(r.status()).isEqualTo(200);
        assertThat(bed.https().lastRequest(host)).startsWith("POST / HTTP/1.1\r\n");
    }

    @Test
    void aReportOfFourMegabytesArrivesIntact() {
        String host = "tlsrpt.big.example";
        String rua = endpoint(host, Response.status(202));
        byte[] noise = new byte[4 * 1024 * 1024];
        new Random(8460).nextBytes(noise);
        byte[] report = gzip(noise);
        PostResult r = post(poster, rua, report);
        assertThat(r.outcome()).as(r.toString()).isEqualTo(PostResult.Outcome.SENT);
        assertThat(bed.https().lastRequestBody(host)).isEqualTo(report);
    }

    @Test
    void serverErrorIsRejectedAndRetryable() {
        PostResult r = post(poster, endpoint("tlsrpt.500.example", Response.status(500)), report());
        assertThat(r.outcome()).isEqualTo(PostResult.Outcome.REJECTED);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.retryable()).isTrue();
        assertThat(r.detail()).contains("HTTP 500").contains("tlsrpt.500.example").contains("status 500");
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 403, 404, 413})
    void clientErrorIsRejectedAndNotRetryable(int status) {
        PostResult r = post(poster, endpoint("tlsrpt." + status + ".example", Response.status(status)), report());
        assertThat(r.outcome()).isEqualTo(PostResult.Outcome.REJECTED);
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.retryable()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 429, 503})
    void busyAnswersAreRetryable(int status) {
        PostResult r = post(poster, endpoint("tlsrpt.busy" + status + ".example", Response.status(status)), report());
        assertThat(r.outcome()).isEqualTo(PostResult.Outcome.REJECTED);
        assertThat(r.retryable()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {301, 302, 307, 308})
    void redirectIsNotFollowed(int status) {
        String target = "tlsrpt.target" + status + ".example";
        String targetRua = endpoint(target, Response.status(200));
        PostResult r = post(poster, endpoint("tlsrpt.moved" + status + ".example", Response.redirect(status, targetRua)), report());
        assertThat(r.outcome()).isEqualTo(PostResult.Outcome.REJECTED);
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.retryable()).isFalse();
        assertThat(r.detail()).contains("not followed").contains(target);
        assertThat(bed.https().requests(target)).isZero();
    }

    @Test
    void interimContinueAnswersAreSkipped() {
        PostResult r = post(poster, endpoint("tlsrpt.continue.example", Response.raw(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")), report());
        assertThat(r.outcome()).as(r.toString()).isEqualTo(PostResult.Outcome.SENT);
        assertThat(r.status()).isEqualTo(204);
    }

    @Test
    void hostileStatusTextAndBodyAreEscapedAndCut() {
        String evil = "\u001b[31mFORGED\r\n2026-01-01 INFO fake log line\u202e" + "z".repeat(5000);
        // Response.raw sends ISO-8859-1: the UTF-8 bytes of the body, one char per byte.
        String wire = new String(evil.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        PostResult r = post(poster, endpoint("tlsrpt.hostile.example", Response.raw(
                "HTTP/1.1 500 Bad\u001b[2J thing\r\nContent-Type: text/plain\r\nContent-Length: " + wire.length()
                        + "\r\n\r\n" + wire)), report());
        assertThat(r.outcome()).isEqualTo(PostResult.Outcome.REJECTED);
        assertThat(r.detail()).contains("\\x1B[2J").contains("\\x1B[31mFORGED\\x0D\\x0A").contains("\\u202E");
        assertThat(r.detail().codePoints().filter(SafeText::isUnsafe).count()).isZero();
        assertThat(r.detail().length()).isLessThanOrEqualTo(SafeText.REASON_MAX);
        assertThat(r.detail()).doesNotContain("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
    }

    @Test
    void anEndlessErrorBodyIsReadOnlyUpToItsCap() {
        // Content-Length promises 100 MB, 8 KiB come, then the server holds the connection silently:
        // reading the whole body would wait for the deadline (TEMPORARY/TIMEOUT); the capped read
        // returns with the status at once.
        String body = "y".repeat(8192);
        PostResult r = post(poster, endpoint("tlsrpt.endless.example", Response.raw(
                "HTTP/1.1 503 Busy\r\nContent-Length: 100000000\r\n\r\n" + body).hold()), report());
        assertThat(r.outcome()).as(r.toString()).isEqualTo(PostResult.Outcome.REJECTED);
        assertThat(r.status()).isEqualTo(503);
    }

    @Test
    void aHugeSuccessBodyIsNotRead() {
        PostResult r = post(poster, endpoint("tlsrpt.hugeok.example", Response.raw(
                "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n" + "y".repeat(8192)).hold()), report());
        assertThat(r.outcome()).as(r.toString()).isEqualTo(PostResult.Outcome.SENT);
    }

    @Test
    void aServerTricklingItsAnswerIsCutAtTheBound() {
        String host = "tlsrpt.trickle.example";
        String rua = endpoint(host, Response.status(200).trickle(Duration.ofSeconds(1)));
        try (HttpsReportPoster quick = new HttpsReportPoster(bed.settings().build(), Duration.ofSeconds(2), 1 << 20)) {
            // The answer would take over 60 s; the bound is 2 s.
            PostResult r = post(quick, rua, report());
            assertThat(r.outcome()).as(r.toString()).isEqualTo(PostResult.Outcome.TEMPORARY);
            assertThat(r.failure()).isEqualTo(FetchFailure.TIMEOUT);
            assertThat(r.retryable()).isTrue();
            assertThat(bed.https().requests(host)).isEqualTo(1);
        }
    }

    @Test
    void aServerThatNeverReadsTheReportIsCutAtTheBound() throws Exception {
        String host = "tlsrpt.tarpit.example";
        TestCa.Issued cert = bed.ca().issue(host);
        List<Socket> accepted = new ArrayList<>();
        try (SSLServerSocket tarpit = (SSLServerSocket) cert.serverContext().getServerSocketFactory()
                .createServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        SSLSocket s = (SSLSocket) tarpit.accept();
                        accepted.add(s);
                        s.startHandshake(); // then read nothing: the client's writes fill the buffers and block
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            bed.dns().clear(host).a(host, "127.0.0.1");
            byte[] noise = new byte[8 * 1024 * 1024];
            new Random(1).nextBytes(noise);
            byte[] report = gzip(noise);
            try (HttpsReportPoster quick = new HttpsReportPoster(bed.settings().build(), Duration.ofSeconds(2), 16 << 20)) {
                PostResult r = post(quick, "https://" + host + ":" + tarpit.getLocalPort() + "/", report);
                assertThat(r.outcome()).as(r.toString()).isEqualTo(PostResult.Outcome.TEMPORARY);
                assertThat(r.failure()).isEqualTo(FetchFailure.TIMEOUT);
            }
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void certificateForAnotherNameIsRefused() {
        String host = "tlsrpt.wrongname.example";
        String rua = endpoint(host, Response.status(200));
        bed.https().certificate(host, bed.ca().issue("www.wrongname.example"));
        PostResult r = post(poster, rua, report());
        assertThat(r.outcome()).isEqualTo(PostResult.Outcome.TEMPORARY);
        assertThat(r.failure()).isEqualTo(FetchFailure.TLS);
        assertThat(bed.https().requests(host)).isZero();
    }

    @Test
    void certificateFromAnUntrustedCaIsRefused() {
        String host = "tlsrpt.untrusted.example";
        String rua = endpoint(host, Response.status(200));
        bed.https().certificate(host, TestCa.create("Someone else").issue(host));
        PostResult r = post(poster, rua, report());
        assertThat(r.failure()).isEqualTo(FetchFailure.TLS);
        assertThat(bed.https().requests(host)).isZero();
    }

    @Test
    void expiredCertificateIsRefused() {
        String host = "tlsrpt.expired.example";
        String rua = endpoint(host, Response.status(200));
        bed.https().certificate(host, bed.ca().issueExpired(host));
        assertThat(post(poster, rua, report()).failure()).isEqualTo(FetchFailure.TLS);
        assertThat(bed.https().requests(host)).isZero();
    }

    @Test
    void loopbackEndpointIsRefusedUnlessPrivateAddressesAreAllowed() {
        String host = "tlsrpt.internal.example";
        String rua = endpoint(host, Response.status(200));
        try (HttpsReportPoster guarded = new HttpsReportPoster(bed.settings().allowPrivateAddresses(false).build(),
                Duration.ofSeconds(10), 1 << 20)) {
            PostResult r = post(guarded, rua, report());
            assertThat(r.outcome()).isEqualTo(PostResult.Outcome.REFUSED);
            assertThat(r.failure()).isEqualTo(FetchFailure.ADDRESS_REFUSED);
            assertThat(r.retryable()).isFalse();
            assertThat(r.detail()).contains("127.0.0.1").contains("loopback");
        }
        assertThat(bed.https().requests(host)).isZero();
    }

    @Test
    void reportOverTheCapIsNotSent() {
        String host = "tlsrpt.cap.example";
        String rua = endpoint(host, Response.status(200));
        byte[] noise = new byte[4096];
        new Random(2).nextBytes(noise);
        byte[] report = gzip(noise);
        try (HttpsReportPoster small = new HttpsReportPoster(bed.settings().build(), Duration.ofSeconds(10), 4096)) {
            PostResult r = post(small, rua, report);
            assertThat(r.outcome()).isEqualTo(PostResult.Outcome.TOO_LARGE);
            assertThat(r.detail()).contains(String.valueOf(report.length)).contains("4096");
            assertThat(r.retryable()).isFalse();
        }
        assertThat(bed.https().requests(host)).isZero();
    }

    @Test
    void unknownHostAndFailingDnsAreTemporary() {
        PostResult nx = post(poster, "https://tlsrpt.nowhere.example/", report());
        assertThat(nx.outcome()).isEqualTo(PostResult.Outcome.TEMPORARY);
        assertThat(nx.failure()).isEqualTo(FetchFailure.HOST_NOT_FOUND);
        bed.dns().fault("tlsrpt.servfail.example", Fault.SERVFAIL);
        PostResult servfail = post(poster, "https://tlsrpt.servfail.example/", report());
        assertThat(servfail.failure()).isEqualTo(FetchFailure.DNS_TEMPORARY);
        assertThat(servfail.retryable()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://tlsrpt.plain.example/report",
        "mailto:tlsrpt@example.net",
        "https://user:secret@tlsrpt.example/",
        "https://127.0.0.1/report",
        "https://[::1]/report",
        "https:opaque",
        "https:///no-host",
        "https://tls_rpt.example/",
        "https://tlsrpt.example/a b",
        "https://tlsrpt.example/\r\nX-Injected: 1",
        "https://tlsrpt.example/caf\u00e9",
        "https://tlsrpt.example:99999/",
        "//tlsrpt.example/"})
    void unusableRuasAreInvalidWithoutTraffic(String rua) {
        PostResult r = post(poster, rua, report());
        assertThat(r.outcome()).as(r.toString()).isEqualTo(PostResult.Outcome.INVALID_URI);
        assertThat(r.retryable()).isFalse();
        assertThat(r.detail().codePoints().filter(SafeText::isUnsafe).count()).isZero();
    }

    @Test
    void overlongRuaIsInvalid() {
        PostResult r = post(poster, "https://tlsrpt.example/" + "a".repeat(3000), report());
        assertThat(r.outcome()).isEqualTo(PostResult.Outcome.INVALID_URI);
        assertThat(r.detail().length()).isLessThanOrEqualTo(SafeText.REASON_MAX);
    }

    @Test
    void aReportThatIsNotGzipIsTheCallersBug() {
        assertThatThrownBy(() -> poster.post("https://tlsrpt.example/", JSON.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gzip");
    }

    @Test
    void settingsOutOfRangeNameTheSetting() {
        assertThatThrownBy(() -> new HttpsReportPoster(bed.settings().build(), Duration.ZERO, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
        assertThatThrownBy(() -> new HttpsReportPoster(bed.settings().build(), Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxReportBytes");
    }
}
