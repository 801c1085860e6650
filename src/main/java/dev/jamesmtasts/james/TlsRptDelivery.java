package dev.jamesmtasts.james;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.mtasts.MtaStsSettings;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.reporting.ReportDelivery;
import dev.jamesmtasts.tlsrpt.HttpsReportPoster;
import dev.jamesmtasts.tlsrpt.InvalidRuaException;
import dev.jamesmtasts.tlsrpt.MailtoUri;
import dev.jamesmtasts.tlsrpt.PostResult;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.ReportMail;
import dev.jamesmtasts.tlsrpt.TlsReport;
import dev.jamesmtasts.tlsrpt.TlsRptSettings;

/**
 * Sends one report to one rua (RFC 8460 §5): {@code https:} by POST ({@link HttpsReportPoster}, with the
 * network settings of the policy fetch, so {@code resolver.allowPrivateAddresses} and the trust material
 * apply to both alike), {@code mailto:} as a {@code multipart/report; report-type="tlsrpt"} message
 * ({@link ReportMail}) put into James's own spool through {@link MailetContext#sendMail(Mail)}: it then
 * goes through the mailet container like any mail (DKIMSign if configured, then the remote delivery
 * mailet). The mail carries {@link ReportMail#ATTRIBUTE}, so that its own delivery is never recorded
 * ({@link TlsRptListener}): no report loops. "Delivered" for a mailto: rua means queued by James.
 */
final class TlsRptDelivery implements ReportDelivery, AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(TlsRptDelivery.class);
    private static final AttributeName ATTRIBUTE = AttributeName.of(ReportMail.ATTRIBUTE);

    private final TlsRptSettings settings;
    private final HttpsReportPoster poster;
    private final ReportMail mail;
    private final Supplier<MailetContext> mailetContext;

    /**
     * @param mailetContext James's mailet context, looked up when a mailto: report is sent (it is bound in
     *                      the server injector; null when there is none, which fails that rua only)
     */
    TlsRptDelivery(TlsRptSettings settings, MtaStsSettings network, Supplier<MailetContext> mailetContext) {
        this.settings = Objects.requireNonNull(settings);
        this.poster = new HttpsReportPoster(network, settings.httpTimeout(), settings.maxReportSize());
        this.mail = new ReportMail(settings.submitter(), settings.sender());
        this.mailetContext = Objects.requireNonNull(mailetContext);
    }

    @Override
    public Result deliver(URI rua, TlsReport report) {
        byte[] gz = ReportJson.writeGzip(report);
        String scheme = rua.getScheme() == null ? "" : rua.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "https":
                PostResult r = poster.post(rua.toString(), gz);
                return r.isSent() ? Result.delivered() : Result.failed(SafeText.display(r.toString()));
            case "mailto":
                return mail(rua, report, gz);
            default:
                return Result.failed("unsupported rua scheme " + SafeText.of(scheme));
        }
    }

    private Result mail(URI rua, TlsReport report, byte[] gz) {
        if (gz.length > settings.maxReportSize()) {
            return Result.failed("report of " + gz.length + " bytes exceeds tlsrpt.maxReportSize ("
                    + settings.maxReportSize() + ")");
        }
        if (report.policies().isEmpty()) {
            return Result.failed("empty report");
        }
        String domain = report.policies().get(0).policy().policyDomain();
        try {
            MailtoUri to = MailtoUri.parse(rua.toString());
            MimeMessage m = mail.message(report, domain, to, gz);
            MailetContext context = mailetContext.get();
            if (context == null) {
                return Result.failed("no James mailet context to send the report mail through");
            }
            List<MailAddress> recipients = new ArrayList<>();
            for (String a : to.addresses()) {
                recipients.add(new MailAddress(a));
            }
            Mail m2 = MailImpl.builder().name("tlsrpt-" + UUID.randomUUID()).sender(settings.sender())
                    .addRecipients(recipients).mimeMessage(m)
                    .addAttribute(new Attribute(ATTRIBUTE, AttributeValue.of(domain))).build();
            context.sendMail(m2); // the spool keeps the mail: not disposed here
            LOGGER.debug("TLS-RPT report {} queued for {}", SafeText.of(report.reportId()), SafeText.of(rua.toString()));
            return Result.delivered();
        } catch (InvalidRuaException e) {
            return Result.failed(SafeText.display(e.getMessage()));
        } catch (Exception e) { // MessagingException, AddressException, a spool failure: a failed attempt
            return Result.failed(SafeText.display("report mail not queued: " + e));
        }
    }

    @Override
    public void close() {
        poster.close();
    }
}
