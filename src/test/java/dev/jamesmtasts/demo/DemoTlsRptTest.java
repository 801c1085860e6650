package dev.jamesmtasts.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.mtasts.MtaStsSettings;
import dev.jamesmtasts.testing.TestSmtpReceiver;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.HttpsReportPoster;
import dev.jamesmtasts.tlsrpt.MailtoUri;
import dev.jamesmtasts.tlsrpt.PolicyType;
import dev.jamesmtasts.tlsrpt.PostResult;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.ReportMail;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * Scenario i's pieces without James: the simulated internet's HTTPS report receiver and TLS-RPT record
 * (a real POST by the project's {@link HttpsReportPoster}, resolved through the simulated DNS, trusted
 * through the demo CA), a report mail built by {@link ReportMail} carried over real SMTP to a receiver,
 * and {@link ReceivedTlsReport} reading both back and judging them; plus the lines printed from
 * WebAdmin's send-now answer. Ephemeral ports on 127.0.0.0/8, so it runs outside the demo's namespace.
 */
class DemoTlsRptTest {
    private static final LocalDate DAY = LocalDate.of(2026, 12, 3);
    private static final String POLICY = "version: STSv1\nmode: enforce\nmx: mx.hijack.example\nmax_age: 86400\n";

    private static SimulatedInternet net;
    private static int httpsPort;

    @BeforeAll
    static void start() throws Exception {
        net = SimulatedInternet.start(new SimulatedInternet.Ports(0, 0, 0));
        httpsPort = net.serveHttps(Demo.REPORT_HTTPS_HOST, Demo.REPORT_HTTPS_ADDRESS);
    }

    @AfterAll
    static void stop() {
        if (net != null) {
            net.close();
        }
    }

    private static TlsReport report(String domain, long ok, Map<FailureDetail, Long> failures) {
        long failed = failures.values().stream().mapToLong(Long::longValue).sum();
        return new TlsReport("james-mta-sts demo", ReportId.start(DAY), ReportId.end(DAY), "postmaster@sender.example",
                ReportId.of(DAY, domain, "sender.example"),
                List.of(new TlsReport.PolicyResults(AppliedPolicy.sts(domain, POLICY, List.of("mx.hijack.example")),
                        ok, failed, failures)));
    }

    private static Map<FailureDetail, Long> failure(ResultType type, String mx, String ip, String code, long n) {
        Map<FailureDetail, Long> m = new LinkedHashMap<>();
        m.put(new FailureDetail(type, null, mx, null, ip, null, code), n);
        return m;
    }

    /** POSTs {@code report} to the simulated receiver as James does, and reads back what it got. */
    private static ReceivedTlsReport post(TlsReport report) {
        MtaStsSettings network = MtaStsSettings.builder().addResolver(net.dns().address()).allowPrivateAddresses(true)
                .sslContext(net.ca().clientContext()).dnsTimeout(Duration.ofSeconds(5)).build();
        try (HttpsReportPoster poster = new HttpsReportPoster(network, Duration.ofSeconds(20), 1 << 20)) {
            PostResult r = poster.post("https://" + Demo.REPORT_HTTPS_HOST + ":" + httpsPort + "/v1/tlsrpt",
                    ReportJson.writeGzip(report));
            assertThat(r.isSent()).as(r.toString()).isTrue();
        }
        return ReceivedTlsReport.ofPost(net.lastHttpsRequest(Demo.REPORT_HTTPS_HOST, Demo.REPORT_HTTPS_ADDRESS),
                net.lastHttpsBody(Demo.REPORT_HTTPS_HOST, Demo.REPORT_HTTPS_ADDRESS));
    }

    @Test
    void aReportPostedToTheSimulatedReceiverIsReadBackFieldByField() {
        int before = net.httpsRequests(Demo.REPORT_HTTPS_HOST, Demo.REPORT_HTTPS_ADDRESS);
        ReceivedTlsReport got = post(report("hijack.example", 1, failure(ResultType.VALIDATION_FAILURE, Demo.IMPOSTOR,
                "127.0.0.66", "mtasts-policy-mx-mismatch", 3)));

        assertThat(net.httpsRequests(Demo.REPORT_HTTPS_HOST, Demo.REPORT_HTTPS_ADDRESS)).isEqualTo(before + 1);
        assertThat(got.problems()).isEmpty();
        assertThat(got.report().reportId()).isEqualTo(ReportId.of(DAY, "hijack.example", "sender.example"));
        assertThat(got.failedSessions("hijack.example", PolicyType.STS, ResultType.VALIDATION_FAILURE, Demo.IMPOSTOR))
                .isEqualTo(3);
        assertThat(got.reports("hijack.example", PolicyType.STS, ResultType.VALIDATION_FAILURE, Demo.IMPOSTOR)).isTrue();
        // the impostor's failure, not any: another MX, another type or another domain does not count
        assertThat(got.reports("hijack.example", PolicyType.STS, ResultType.VALIDATION_FAILURE, "mx.hijack.example")).isFalse();
        assertThat(got.reports("hijack.example", PolicyType.STS, ResultType.STARTTLS_NOT_SUPPORTED, null)).isFalse();
        assertThat(got.reports("stripped.example", PolicyType.STS, ResultType.VALIDATION_FAILURE, null)).isFalse();
        assertThat(got.reports("hijack.example", PolicyType.NO_POLICY_FOUND, ResultType.VALIDATION_FAILURE, null)).isFalse();
        assertThat(got.lines()).anyMatch(l -> l.startsWith("POST /v1/tlsrpt HTTP/1.1  Content-Type: application/tlsrpt+gzip  ("))
                .contains("date-range " + ReportId.start(DAY) + " to " + ReportId.end(DAY))
                .contains("policy-type sts  policy-domain hijack.example  mx-host mx.hijack.example  successful 1  failed 3",
                        "  result-type validation-failure  receiving-mx-hostname mx.attacker.example  receiving-ip 127.0.0.66"
                                + "  failure-reason-code mtasts-policy-mx-mismatch  failed-session-count 3");
    }

    @Test
    void aReportWithoutTheFailureDoesNotPass() {
        ReceivedTlsReport got = post(report("hijack.example", 2, Map.of()));
        assertThat(got.problems()).isEmpty();
        assertThat(got.failedSessions("hijack.example", PolicyType.STS, ResultType.VALIDATION_FAILURE, null)).isZero();
        assertThat(got.reports("hijack.example", PolicyType.STS, ResultType.VALIDATION_FAILURE, null)).isFalse();
        assertThat(got.lines()).contains("policy-type sts  policy-domain hijack.example  mx-host mx.hijack.example"
                + "  successful 2  failed 0");
    }

    @Test
    void theWrongMediaTypeOrNoRequestAtAllIsAProblem() {
        byte[] gz = ReportJson.writeGzip(report("hijack.example", 0, failure(ResultType.VALIDATION_FAILURE,
                Demo.IMPOSTOR, null, null, 1)));
        ReceivedTlsReport plain = ReceivedTlsReport.ofPost("POST /v1/tlsrpt HTTP/1.1\r\nContent-Type: text/plain\r\n\r\n", gz);
        assertThat(plain.report()).isNotNull();
        assertThat(plain.problems()).containsExactly("Content-Type 'text/plain', not application/tlsrpt+gzip");
        assertThat(plain.reports("hijack.example", PolicyType.STS, ResultType.VALIDATION_FAILURE, null)).isFalse();

        ReceivedTlsReport notGzip = ReceivedTlsReport.ofPost(
                "POST / HTTP/1.1\r\nContent-Type: application/tlsrpt+gzip\r\n\r\n", "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(notGzip.report()).isNull();
        assertThat(notGzip.problems()).singleElement().asString().startsWith("not an RFC 8460 report: ");

        ReceivedTlsReport none = ReceivedTlsReport.ofPost(null, null);
        assertThat(none.problems()).containsExactly("no request received");
        assertThat(none.lines()).containsExactly("PROBLEM: no request received");
    }

    @Test
    void aReportMailCarriedOverSmtpIsReadBackFieldByField() throws Exception {
        TlsReport report = report("stripped.example", 0, failure(ResultType.STARTTLS_NOT_SUPPORTED,
                "mx.stripped.example", "127.0.0.14", null, 4));
        ReceivedTlsReport got = ReceivedTlsReport.ofMail(overSmtp(report, "stripped.example"));

        assertThat(got.problems()).isEmpty();
        assertThat(got.reports("stripped.example", PolicyType.STS, ResultType.STARTTLS_NOT_SUPPORTED,
                "mx.stripped.example")).isTrue();
        assertThat(got.failedSessions("stripped.example", PolicyType.STS, ResultType.STARTTLS_NOT_SUPPORTED, null)).isEqualTo(4);
        assertThat(got.lines()).contains("Content-Type: multipart/report; report-type=\"tlsrpt\"",
                "TLS-Report-Domain: stripped.example  TLS-Required: No",
                "  result-type starttls-not-supported  receiving-mx-hostname mx.stripped.example  receiving-ip 127.0.0.14"
                        + "  failed-session-count 4")
                .anyMatch(l -> l.startsWith("Subject: Report Domain: stripped.example Submitter: sender.example Report-ID: <"))
                .anyMatch(l -> l.startsWith("attachment sender.example!stripped.example!" + ReportId.start(DAY).getEpochSecond()
                        + "!" + ReportId.end(DAY).getEpochSecond() + ".json.gz (application/tlsrpt+gzip, "));
    }

    @Test
    void aReportMailWhoseHeaderNamesAnotherDomainOrThatIsNoReportDoesNotPass() throws Exception {
        TlsReport report = report("stripped.example", 0, failure(ResultType.STARTTLS_NOT_SUPPORTED,
                "mx.stripped.example", null, null, 1));
        String mail = overSmtp(report, "stripped.example")
                .replaceFirst("TLS-Report-Domain: stripped.example", "TLS-Report-Domain: other.example");
        assertThat(ReceivedTlsReport.ofMail(mail).reports("stripped.example", PolicyType.STS,
                ResultType.STARTTLS_NOT_SUPPORTED, null)).isFalse();

        ReceivedTlsReport ordinary = ReceivedTlsReport.ofMail("From: a@b.example\r\nSubject: hello\r\n\r\nhi\r\n");
        assertThat(ordinary.report()).isNull();
        assertThat(ordinary.problems()).contains("no TLS-Report-Domain header", "not a multipart message")
                .anyMatch(p -> p.startsWith("TLS-Required 'null', not No"));
    }

    @Test
    void networkTextInAReportIsPrintedEscaped() {
        ReceivedTlsReport got = post(report("hijack.example", 0, failure(ResultType.VALIDATION_FAILURE,
                "mx.attacker.example", null, "bad\u001B[2J\r\nFAKE: PASS\u202E", 1)));
        assertThat(got.problems()).isEmpty();
        assertThat(got.lines()).anyMatch(l -> l.contains("failure-reason-code bad\\x1B[2J\\x0D\\x0AFAKE: PASS\\u202E"))
                .allMatch(l -> l.chars().noneMatch(c -> c < 0x20 || c == 0x7F || c == 0x202E));
    }

    @Test
    void sendNowAnswersArePrintedOneReportALineWithTheDomainsWithoutRecordTogether() {
        String body = "[{\"domain\":\"good.example\",\"day\":\"2026-12-03\",\"outcome\":\"no_record\",\"rua\":[]},"
                + "{\"domain\":\"hijack.example\",\"day\":\"2026-12-03\",\"outcome\":\"sent\",\"rua\":[\"https://tlsrpt.hijack.example/v1/tlsrpt\"],"
                + "\"report_id\":\"r1\"},"
                + "{\"domain\":\"plain.example\",\"day\":\"2026-12-03\",\"outcome\":\"no_record\",\"rua\":[]},"
                + "{\"domain\":\"x.example\",\"day\":\"2026-12-03\",\"outcome\":\"failed\",\"rua\":[],\"detail\":\"\\u001b[31mred\"}]";
        assertThat(Demo.sendNowLines(200, body)).containsExactly(
                "{\"domain\":\"hijack.example\",\"day\":\"2026-12-03\",\"outcome\":\"sent\","
                        + "\"rua\":[\"https://tlsrpt.hijack.example/v1/tlsrpt\"],\"report_id\":\"r1\"}",
                "{\"domain\":\"x.example\",\"day\":\"2026-12-03\",\"outcome\":\"failed\",\"rua\":[],\"detail\":\"\\u001B[31mred\"}",
                "no_record (no _smtp._tls TXT record, nothing to send): good.example, plain.example");
        assertThat(Demo.sendNowLines(200, "[]")).containsExactly("[] (no report of that day: nothing was recorded)");
        assertThat(Demo.sendNowLines(200, "<html>\u001b")).containsExactly("unreadable answer: <html>\\x1B");
        assertThat(Demo.sendNowRows(200, body)).extracting(r -> r.path("outcome").asText())
                .containsExactly("no_record", "sent", "no_record", "failed");
        assertThat(Demo.sendNowRows(404, body)).isEmpty();
        assertThat(Demo.sendNowLines(404, "{\"message\":\"TLS-RPT reporting is not enabled\"}"))
                .containsExactly("HTTP 404: {\"message\":\"TLS-RPT reporting is not enabled\"}");
        assertThat(Demo.sendNowLines(-1, "java.net.ConnectException: refused\r\nX"))
                .containsExactly("HTTP -1: java.net.ConnectException: refused\\x0D\\x0AX");
    }

    /**
     * The report mail {@link ReportMail} builds for {@code mailto:tlsrpt@reports.example}, sent over SMTP
     * to a receiver; the message as the receiver got it after DATA.
     */
    private static String overSmtp(TlsReport report, String domain) throws Exception {
        MimeMessage m = new ReportMail("sender.example", "tlsrpt@sender.example").message(report, domain,
                MailtoUri.parse("mailto:" + Demo.REPORT_MAILBOX), ReportJson.writeGzip(report));
        try (TestSmtpReceiver receiver = new TestSmtpReceiver(Demo.REPORT_MX, null)) {
            Properties p = new Properties();
            p.put("mail.smtp.host", "127.0.0.1");
            p.put("mail.smtp.port", String.valueOf(receiver.port()));
            p.put("mail.smtp.connectiontimeout", "10000");
            p.put("mail.smtp.timeout", "10000");
            Session session = Session.getInstance(p);
            MimeMessage copy = new MimeMessage(session, new java.io.ByteArrayInputStream(bytes(m)));
            Transport.send(copy);
            assertThat(receiver.received()).hasSize(1);
            return receiver.received().get(0).data;
        }
    }

    private static byte[] bytes(MimeMessage m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeTo(out);
        return out.toByteArray();
    }
}
