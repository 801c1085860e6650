package dev.jamesmtasts.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.zip.GZIPInputStream;

import javax.mail.Address;
import javax.mail.BodyPart;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Part;
import javax.mail.Session;
import javax.mail.internet.ContentType;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.jamesmtasts.mtasts.SafeText;

/**
 * RFC 8460 §5.1/§5.3: the report message for a {@code mailto:} rua, built, written to bytes and parsed
 * back with JavaMail, then checked header by header and part by part; hostile ruas, domains and ids
 * are refused before they can reach a header.
 */
class ReportMailTest {
    private static final String JSON = "{\"organization-name\":\"Example Org\",\"report-id\":\"20240101.example.net@mail.sender.example\"}";
    private static final Instant START = Instant.parse("2024-01-01T00:00:00Z");
    private static final Instant END = Instant.parse("2024-01-01T23:59:59Z");
    private static final Instant NOW = Instant.parse("2024-01-02T00:07:13Z");
    private static final ReportMail MAIL = new ReportMail("mail.sender.example", "tlsrpt@mail.sender.example",
            Clock.fixed(NOW, ZoneOffset.UTC));

    private static TlsReport report(String id) {
        return new TlsReport("Example Org", START, END, "mailto:tlsrpt@mail.sender.example", id, List.of());
    }

    private static byte[] gz() {
        return HttpsReportPosterTest.gzip(JSON.getBytes(StandardCharsets.UTF_8));
    }

    /** The message as it goes on the wire, parsed back by a fresh session. */
    private static MimeMessage roundTrip(MimeMessage m, ByteArrayOutputStream wire) throws IOException, MessagingException {
        m.writeTo(wire);
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(wire.toByteArray()));
    }

    private static String header(Part p, String name) throws MessagingException {
        String[] values = p.getHeader(name);
        assertThat(values).as(name).isNotNull().hasSize(1);
        return values[0];
    }

    @Test
    void theMessageIsAMultipartReportWithEveryHeaderOfTheRfc() throws Exception {
        byte[] gz = gz();
        MailtoUri rua = MailtoUri.parse("mailto:tlsrpt@example.net,second%2Breports@Example.NET?subject=pwned&cc=evil@attacker.example");
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        MimeMessage m = roundTrip(MAIL.message(report("20240101.example.net@mail.sender.example"), "example.net", rua, gz), wire);
        String raw = wire.toString(StandardCharsets.ISO_8859_1);

        assertThat(m.getFrom()).containsExactly(new InternetAddress("tlsrpt@mail.sender.example"));
        assertThat(m.getRecipients(Message.RecipientType.TO)).extracting(Address::toString)
                .containsExactly("tlsrpt@example.net", "second+reports@example.net");
        assertThat(m.getRecipients(Message.RecipientType.CC)).isNull();
        assertThat(m.getRecipients(Message.RecipientType.BCC)).isNull();
        // RFC 8460 §5.3 tlsrpt-subject (unfolded by the parser).
        assertThat(m.getSubject()).isEqualTo("Report Domain: example.net Submitter: mail.sender.example"
                + " Report-ID: <20240101.example.net@mail.sender.example>");
        assertThat(header(m, "TLS-Report-Domain")).isEqualTo("example.net");
        assertThat(header(m, "TLS-Report-Submitter")).isEqualTo("mail.sender.example");
        assertThat(header(m, "TLS-Required")).isEqualTo("No");
        assertThat(header(m, "Auto-Submitted")).isEqualTo("auto-generated");
        assertThat(header(m, "Message-ID")).isEqualTo("<20240101.example.net@mail.sender.example>");
        assertThat(header(m, "MIME-Version")).isEqualTo("1.0");
        assertThat(m.getSentDate().toInstant()).isEqualTo(NOW);

        ContentType type = new ContentType(m.getContentType());
        assertThat(type.getBaseType()).isEqualTo("multipart/report");
        assertThat(type.getParameter("report-type")).isEqualTo("tlsrpt");
        String boundary = type.getParameter("boundary");
        assertThat(boundary).isNotBlank();
        assertThat(raw).contains("report-type=\"tlsrpt\"");
        assertThat(raw.split("\r\n--" + java.util.regex.Pattern.quote(boundary) + "\r\n", -1)).hasSize(3);
        assertThat(raw).contains("\r\n--" + boundary + "--");

        MimeMultipart parts = (MimeMultipart) m.getContent();
        assertThat(parts.getCount()).isEqualTo(2);
        BodyPart text = parts.getBodyPart(0);
        assertThat(text.isMimeType("text/plain")).isTrue();
        assertThat((String) text.getContent()).contains("mail.sender.example").contains("example.net")
                .contains("<20240101.example.net@mail.sender.example>").contains("Example Org");

        BodyPart report = parts.getBodyPart(1);
        assertThat(new ContentType(report.getContentType()).getBaseType()).isEqualTo("application/tlsrpt+gzip");
        assertThat(header(report, "Content-Transfer-Encoding")).isEqualTo("base64");
        assertThat(report.getDisposition()).isEqualTo(Part.ATTACHMENT);
        assertThat(report.getFileName()).isEqualTo("mail.sender.example!example.net!"
                + START.getEpochSecond() + "!" + END.getEpochSecond() + ".json.gz");
        byte[] attached;
        try (InputStream in = report.getInputStream()) {
            attached = in.readAllBytes();
        }
        assertThat(attached).isEqualTo(gz);
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(attached))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(JSON);
        }
        // The rua's header fields chose nothing.
        assertThat(raw).doesNotContain("pwned").doesNotContain("attacker");
    }

    @Test
    void fileNameFollowsTheRfcForm() {
        // RFC 8460 §5.1's example, without the optional unique-id.
        assertThat(ReportMail.fileName("mail.sndr.example.com", "example.net",
                Instant.ofEpochSecond(1470013207), Instant.ofEpochSecond(1470186007)))
                .isEqualTo("mail.sndr.example.com!example.net!1470013207!1470186007.json.gz");
    }

    @Test
    void longDomainsGiveAWholeFileNameAndSubject() throws Exception {
        String label = "a".repeat(63);
        String domain = label + "." + label + "." + label + ".example";
        MimeMessage m = roundTrip(MAIL.message(report("r1"), domain, MailtoUri.parse("mailto:r@example.net"), gz()),
                new ByteArrayOutputStream());
        BodyPart report = ((MimeMultipart) m.getContent()).getBodyPart(1);
        assertThat(report.getFileName()).isEqualTo("mail.sender.example!" + domain + "!"
                + START.getEpochSecond() + "!" + END.getEpochSecond() + ".json.gz");
        assertThat(m.getSubject()).isEqualTo("Report Domain: " + domain + " Submitter: mail.sender.example"
                + " Report-ID: <r1@mail.sender.example>");
        assertThat(header(m, "TLS-Report-Domain")).isEqualTo(domain);
    }

    @Test
    void aReportIdWithoutAtGetsTheSubmitterAsItsRightPart() throws Exception {
        MimeMessage m = MAIL.message(report("20240101.example.net"), "example.net", MailtoUri.parse("mailto:r@example.net"), gz());
        assertThat(header(m, "Message-ID")).isEqualTo("<20240101.example.net@mail.sender.example>");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "example.net\r\nBcc: victim@elsewhere.example",
        "example.net\n",
        " example.net",
        "Example.NET",
        "example.net.",
        "exa mple.net",
        "[127.0.0.1]",
        ""})
    void hostilePolicyDomainIsRefused(String domain) throws Exception {
        MailtoUri rua = MailtoUri.parse("mailto:r@example.net");
        assertThatThrownBy(() -> MAIL.message(report("r1"), domain, rua, gz()))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage().codePoints().filter(SafeText::isUnsafe).count()).isZero());
    }

    @ParameterizedTest
    @ValueSource(strings = {"r1\r\nBcc: victim@elsewhere.example", "r 1", "<r1>", "r1@", "@x", "a..b", "r1@x@y"})
    void reportIdThatCannotBeAMsgIdIsRefused(String id) throws Exception {
        MailtoUri rua = MailtoUri.parse("mailto:r@example.net");
        assertThatThrownBy(() -> MAIL.message(report(id), "example.net", rua, gz()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("report-id");
    }

    @Test
    void aReportThatIsNotGzipIsTheCallersBug() throws Exception {
        MailtoUri rua = MailtoUri.parse("mailto:r@example.net");
        assertThatThrownBy(() -> MAIL.message(report("r1"), "example.net", rua, JSON.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gzip");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "tlsrpt@mail.sender.example\r\nBcc: victim@elsewhere.example",
        "TLS reports <tlsrpt@mail.sender.example>",
        "tlsrpt",
        "a@b@c.example",
        "group: a@b.example;",
        ""})
    void badFromAddressIsRefused(String from) {
        assertThatThrownBy(() -> new ReportMail("mail.sender.example", from))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage().codePoints().filter(SafeText::isUnsafe).count()).isZero());
    }

    @Test
    void badSubmitterIsRefused() {
        assertThatThrownBy(() -> new ReportMail("mail.sender.example\r\nX: y", "tlsrpt@mail.sender.example"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("submitter");
    }

    @Test
    void mailtoAddressesAreDecodedAndDeduplicated() throws Exception {
        MailtoUri rua = MailtoUri.parse("MAILTO:a.b+c@Example.NET,%61.b+c@example.net.,x_y@xn--bcher-kva.example");
        assertThat(rua.addresses()).containsExactly("a.b+c@example.net", "x_y@xn--bcher-kva.example");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "mailto:r@example.net\r\nBcc: victim@elsewhere.example",
        "mailto:r@example.net%0D%0ABcc:%20victim@elsewhere.example",
        "mailto:r@example.net%0ABcc:victim@elsewhere.example",
        "mailto:%22Name%22%20%3Cr@example.net%3E",
        "mailto:Name<r@example.net>",
        "mailto:r@[127.0.0.1]",
        "mailto:r@localhost",
        "mailto:",
        "mailto:?to=r@example.net",
        "mailto:r@example.net,,s@example.net",
        "mailto:%C3%A9t%C3%A9@example.net",
        "mailto:r@example.net%",
        "mailto:r@example.net%zz",
        "mailto:%FF@example.net",
        "mailto:\"quoted local\"@example.net",
        "mailto:.r@example.net",
        "mailto:r@example.net!10m",
        "mailto:r@example.net#frag",
        "mailto:r@exa\u00e9mple.net",
        "https://reports.example.net/",
        "r@example.net"})
    void hostileOrUnusableMailtoIsRefused(String rua) {
        assertThatThrownBy(() -> MailtoUri.parse(rua))
                .isInstanceOf(InvalidRuaException.class)
                .satisfies(e -> assertThat(e.getMessage().codePoints().filter(SafeText::isUnsafe).count()).isZero());
    }

    @Test
    void crLfInAMailtoIsShownEscaped() {
        assertThatThrownBy(() -> MailtoUri.parse("mailto:r@example.net\r\nBcc: victim@elsewhere.example"))
                .isInstanceOf(InvalidRuaException.class).hasMessageContaining("\\x0D\\x0A");
    }

    @Test
    void tooManyAddressesAreRefused() {
        String[] many = new String[MailtoUri.MAX_ADDRESSES + 1];
        Arrays.setAll(many, i -> "r" + i + "@example.net");
        assertThatThrownBy(() -> MailtoUri.parse("mailto:" + String.join(",", many)))
                .isInstanceOf(InvalidRuaException.class).hasMessageContaining("more than " + MailtoUri.MAX_ADDRESSES);
        assertThatThrownBy(() -> MailtoUri.parse("mailto:r@example.net," + "a".repeat(MailtoUri.MAX_LENGTH)))
                .isInstanceOf(InvalidRuaException.class).hasMessageContaining("longer than");
    }
}
