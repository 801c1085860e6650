package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

import javax.mail.Message;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestSmtpReceiver;
import dev.jamesmtasts.tlsrpt.ReportMail;

/**
 * The DKIM signing of mailto: reports that docs/tls-rpt.md tells administrators to configure (RFC 8460
 * §3: a report sent by mail "MUST contain a valid DKIM signature"; §5.3: the TLS-Report headers SHOULD be
 * signed), exactly as written there: James 3.8.1's own {@code DKIMSign} mailet in the transport processor,
 * matched by {@code HasMailAttribute=}{@value ReportMail#ATTRIBUTE}, before the delivery mailet. A real
 * James with the extension as shipped, real Cassandra, DNS and SMTP receivers; the report is sent through
 * WebAdmin's send-now, and its signature is verified with James's jDKIM library against the public key.
 * An ordinary relayed mail, even one carrying a TLS-Report-Domain header, is not signed.
 */
class TlsRptDkimSignTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String DOMAIN = "dkimrpt.test";
    private static final String SELECTOR = "tlsrpt";

    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private static MtaStsTestbed bed;
    private static Path trustStore;
    private static KeyPair key;
    private static JamesHarness james;

    @BeforeAll
    static void start() throws Exception {
        bed = MtaStsTestbed.start();
        trustStore = bed.ca().writeTrustStore(Files.createTempFile("tlsrpt-dkim", ".p12"));
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        key = g.generateKeyPair();
        String delivery = "<startTLS>true</startTLS>"
                + "<mtaStsTrustStore>" + trustStore + "</mtaStsTrustStore>"
                + "<mtaStsTrustStorePassword>" + TestCa.password() + "</mtaStsTrustStorePassword>";
        // The snippet of docs/tls-rpt.md ("Signing mailto: reports"), with this test's key and domain.
        String dkimSign = "<mailet match=\"HasMailAttribute=" + ReportMail.ATTRIBUTE + "\" class=\"org.apache.james.jdkim.mailets.DKIMSign\">"
                + "<signatureTemplate>v=1; s=" + SELECTOR + "; d=" + JamesHarness.LOCAL_DOMAIN
                + "; h=from:to:subject:date:message-id:tls-report-domain:tls-report-submitter:tls-required:content-type;"
                + " a=rsa-sha256; bh=; b=;</signatureTemplate>"
                + "<privateKey>\n" + pem(key) + "</privateKey>"
                + "</mailet>";
        String mailets = dkimSign + "<mailet match=\"All\" class=\"" + MtaStsRemoteDelivery.class.getName() + "\">"
                + JamesHarness.deliveryDefaults(delivery) + delivery + "</mailet>";
        james = new JamesHarness(JamesHarness.mailetContainerWithTransport(mailets),
                JamesHarness.testbedProperties(CASSANDRA.keyspace(), bed, trustStore)
                        + "tlsrpt.enabled=true\ntlsrpt.organizationName=James DKIM test\n"
                        + "tlsrpt.submitter=" + JamesHarness.LOCAL_DOMAIN + "\ntlsrpt.sender=tlsrpt@" + JamesHarness.LOCAL_DOMAIN + "\n",
                RealBackendTestModule.class);
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        if (bed != null) {
            bed.close();
        }
        if (trustStore != null) {
            Files.deleteIfExists(trustStore);
        }
    }

    /** The private key as PEM (PKCS#8, what {@code openssl genpkey} writes). */
    private static String pem(KeyPair k) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(k.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    /** The DKIM key record James's public key would be published as, at tlsrpt._domainkey.james.local. */
    private static DKIMVerifier verifier() {
        String record = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(key.getPublic().getEncoded());
        return new DKIMVerifier((method, selector, token) -> {
            assertThat(selector.toString()).isEqualTo(SELECTOR);
            assertThat(token.toString()).isEqualTo(JamesHarness.LOCAL_DOMAIN);
            return List.of(record);
        });
    }

    private static TestSmtpReceiver tls(String name) {
        return new TestSmtpReceiver(name, bed.ca().issue(name).serverContext());
    }

    @Test
    void aMailtoReportIsDkimSignedOverItsTlsReportHeadersAndAnOrdinaryMailIsNot() throws Exception {
        bed.publish(DOMAIN, "k1", "version: STSv1\nmode: enforce\nmx: mx." + DOMAIN + "\nmax_age: 86400\n");
        bed.dns().txt("_smtp._tls." + DOMAIN, "v=TLSRPTv1; rua=mailto:reports@reports." + DOMAIN);
        try (TestSmtpReceiver mx = tls("mx." + DOMAIN);
             TestSmtpReceiver reports = tls("mx.reports." + DOMAIN)) {
            james.mx(DOMAIN, "mx." + DOMAIN + ":" + mx.port());
            james.mx("reports." + DOMAIN, "mx.reports." + DOMAIN + ":" + reports.port());
            // ordinary mails are not signed, even one that claims to be a report by its header (the matcher
            // reads the attribute only James's report sender sets); the first one gives the report its results
            submit("bob@" + DOMAIN, "ordinary", false);
            submit("bob@" + DOMAIN, "claims to be a report", true);
            await().atMost(WAIT).until(() -> mx.count() == 2);
            assertThat(mx.received()).allSatisfy(r -> assertThat(r.data).doesNotContainIgnoringCase("DKIM-Signature:"));

            HttpResponse<String> sent = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + james.webAdminPort() + "/mta-sts/tlsrpt/send-now?day=today&domain=" + DOMAIN))
                    .timeout(WAIT).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(sent.statusCode()).as(sent.body()).isEqualTo(200);
            assertThat(sent.body()).contains("\"outcome\":\"sent\"", "mailto:reports@reports." + DOMAIN);

            await().atMost(WAIT).until(() -> reports.count() == 1);
            String data = reports.received().get(0).data;
            MimeMessage m = new MimeMessage(Session.getInstance(new Properties()),
                    new ByteArrayInputStream(data.getBytes(StandardCharsets.ISO_8859_1)));
            assertThat(m.getHeader(ReportMail.REPORT_DOMAIN_HEADER, null)).isEqualTo(DOMAIN);
            assertThat(m.getHeader("DKIM-Signature")).hasSize(1);

            List<SignatureRecord> valid = verifier().verify(new ByteArrayInputStream(data.getBytes(StandardCharsets.ISO_8859_1)));
            assertThat(valid).hasSize(1);
            SignatureRecord sig = valid.get(0);
            assertThat(sig.getDToken().toString()).isEqualTo(JamesHarness.LOCAL_DOMAIN);
            assertThat(sig.getSelector().toString()).isEqualTo(SELECTOR);
            assertThat(sig.getHeaders()).extracting(CharSequence::toString)
                    .contains("tls-report-domain", "tls-report-submitter", "tls-required", "subject", "from");

            // the signature covers the TLS-Report headers: a changed TLS-Report-Domain no longer verifies
            String forged = data.replaceFirst("(?m)^TLS-Report-Domain: " + DOMAIN.replace(".", "\\."),
                    "TLS-Report-Domain: other.test");
            assertThat(forged).isNotEqualTo(data);
            assertThatThrownBy(() -> verifier().verify(new ByteArrayInputStream(forged.getBytes(StandardCharsets.ISO_8859_1))))
                    .isInstanceOf(PermFailException.class);
        }
    }

    /** Submits a mail to James over SMTP, with a forged {@code TLS-Report-Domain} header when {@code forged}. */
    private static void submit(String to, String subject, boolean forged) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", Integer.toString(james.smtpPort()));
        MimeMessage m = new MimeMessage(Session.getInstance(p));
        m.setFrom(new InternetAddress("alice@sender.test"));
        m.addRecipient(Message.RecipientType.TO, new InternetAddress(to));
        m.setSubject(subject);
        if (forged) {
            m.setHeader(ReportMail.REPORT_DOMAIN_HEADER, DOMAIN);
        }
        m.setText("an ordinary mail");
        Transport.send(m);
    }
}
