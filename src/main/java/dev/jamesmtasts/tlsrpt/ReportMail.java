package dev.jamesmtasts.tlsrpt;

import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

import javax.activation.DataHandler;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.AddressException;
import javax.mail.internet.ContentType;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.util.ByteArrayDataSource;

import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * The report message for a {@code mailto:} rua (RFC 8460 §5.3), ready for James's own pipeline
 * ({@code MailetContext.sendMail}); signing it is the DKIMSign mailet's job (§3: reports by mail "MUST
 * contain a valid DKIM signature", §5.3: the TLS-Report headers "SHOULD be included" in it).
 *
 * <pre>
 * From: &lt;configured sender&gt;
 * To: &lt;the rua's addresses&gt;
 * Subject: Report Domain: example.net Submitter: mail.sender.example Report-ID: &lt;id@mail.sender.example&gt;
 * Date, Message-ID: &lt;the same id&gt;, MIME-Version: 1.0
 * TLS-Report-Domain: example.net
 * TLS-Report-Submitter: mail.sender.example
 * TLS-Required: No
 * Auto-Submitted: auto-generated
 * Content-Type: multipart/report; report-type="tlsrpt"; boundary="..."
 *
 *   text/plain: a short human-readable description
 *   application/tlsrpt+gzip, base64, attachment,
 *     filename="mail.sender.example!example.net!1470009600!1470095999.json.gz"
 * </pre>
 *
 * <ul>
 *   <li>{@code TLS-Required: No} (RFC 8689 §5): the report must get through the very TLS problem it
 *       may report (RFC 8460 §3: "MUST deliver reports despite any TLS-related failures").</li>
 *   <li>{@code Auto-Submitted: auto-generated} (RFC 3834 §5): no vacation or other automatic answer
 *       to a machine-made message, one guard against report loops.</li>
 *   <li>The file name follows RFC 8460 §5.1 without the optional unique-id: one report per policy
 *       domain and day is sent for the whole cluster, so no two sources share a name.</li>
 *   <li>Message-ID is the Report-ID: a report sent again (a retry) is recognisably the same.</li>
 * </ul>
 *
 * Every value put into a header is checked to be a domain name, an addr-spec or a msg-id first:
 * nothing from DNS or the store can add a header line. Immutable and thread-safe.
 */
public final class ReportMail {
    /** RFC 8460 §5.3: the header naming the policy domain the report is about; set on every report mail. */
    public static final String REPORT_DOMAIN_HEADER = "TLS-Report-Domain";
    /** RFC 8460 §5.3: the header naming the submitting domain. */
    public static final String REPORT_SUBMITTER_HEADER = "TLS-Report-Submitter";
    /**
     * The James mail attribute set on a report mail when it enters the mail pipeline (value: the policy
     * domain). It is the only mark of a report on the delivery side ({@code james.TlsRptListener}): the
     * headers above could be written by anyone relaying through James. A mail carrying it is delivered
     * without MTA-STS or DANE enforcement (RFC 8460 §3, {@code TLS-Required: No} RFC 8689 §4.2.2) and the
     * sessions of delivering it are never recorded, so that a report about a failing domain gets through
     * and cannot feed the next report about it (no report loops, as mox does; loops were seen in
     * Stalwart, issue 923).
     */
    public static final String ATTRIBUTE = "dev.jamesmtasts.tlsrpt.report";

    private final String submitter;
    private final InternetAddress from;
    private final Clock clock;
    private final Session session = Session.getInstance(new Properties());

    /**
     * @param submitterDomain the sending organisation's domain (RFC 8460 §5.3 {@code TLS-Report-Submitter};
     *                        it MUST match the domain of the report's contact-info)
     * @param fromAddress     the report's From, an addr-spec ({@code tlsrpt@mail.example})
     * @throws IllegalArgumentException naming the bad value
     */
    public ReportMail(String submitterDomain, String fromAddress) {
        this(submitterDomain, fromAddress, Clock.systemUTC());
    }

    ReportMail(String submitterDomain, String fromAddress, Clock clock) {
        this.submitter = checkDomain("submitter domain", submitterDomain);
        this.from = checkAddress(fromAddress);
        this.clock = Objects.requireNonNull(clock);
    }

    /** The submitter domain (lower-case A-labels). */
    public String submitter() {
        return submitter;
    }

    /**
     * The report message for {@code report} about {@code policyDomain}, to the addresses of {@code rua}.
     *
     * @param gzippedReport the report JSON, gzip-compressed (RFC 8460 §5.2)
     * @throws IllegalArgumentException when {@code policyDomain} is no domain name, the report id
     *                                  cannot be a msg-id, or the report is not gzip data
     */
    public MimeMessage message(TlsReport report, String policyDomain, MailtoUri rua, byte[] gzippedReport) {
        String domain = checkDomain("policy domain", policyDomain);
        String reportId = msgId(report.reportId());
        if (!TlsRptMedia.isGzip(gzippedReport)) {
            throw new IllegalArgumentException("the report is not gzip data (RFC 8460 §5.2: sent as " + TlsRptMedia.GZIP + ")");
        }
        String fileName = fileName(submitter, domain, report.start(), report.end());
        try {
            MimeMessage m = new ReportMessage(session);
            m.setFrom(from);
            m.setRecipients(Message.RecipientType.TO, recipients(rua.addresses()));
            // RFC 8460 §5.3 tlsrpt-subject; folded at the spaces where long (FWS in its ABNF).
            m.setSubject("Report Domain: " + domain + " Submitter: " + submitter + " Report-ID: <" + reportId + ">", "US-ASCII");
            m.setSentDate(Date.from(clock.instant()));
            m.setHeader("Message-ID", "<" + reportId + ">");
            m.setHeader(REPORT_DOMAIN_HEADER, domain);
            m.setHeader(REPORT_SUBMITTER_HEADER, submitter);
            m.setHeader("TLS-Required", "No");
            m.setHeader("Auto-Submitted", "auto-generated");

            MimeBodyPart text = new MimeBodyPart();
            text.setText(description(report, domain, reportId, fileName), "UTF-8");

            MimeBodyPart attachment = new MimeBodyPart();
            attachment.setDataHandler(new DataHandler(new ByteArrayDataSource(gzippedReport, TlsRptMedia.GZIP)));
            attachment.setHeader("Content-Type", TlsRptMedia.GZIP);
            attachment.setHeader("Content-Transfer-Encoding", "base64");
            // Written by hand, quoted and folded as in RFC 8460 §5.3's example: JavaMail would split a
            // long file name into RFC 2231 continuations, which not every report parser reads.
            attachment.setHeader("Content-Disposition", "attachment;\r\n\tfilename=\"" + fileName + "\"");

            MimeMultipart parts = new ReportMultipart();
            parts.addBodyPart(text);
            parts.addBodyPart(attachment);
            m.setContent(parts);
            m.saveChanges();
            return m;
        } catch (MessagingException e) {
            // Every input was checked above: a failure here is a bug, not bad input.
            throw new IllegalStateException("cannot build the TLS report message: " + e.getMessage(), e);
        }
    }

    /**
     * The report's file name (RFC 8460 §5.1):
     * {@code <submitter>!<policy-domain>!<begin-timestamp>!<end-timestamp>.json.gz}, the timestamps in
     * seconds since the epoch (the report's date-range).
     */
    public static String fileName(String submitter, String policyDomain, Instant begin, Instant end) {
        return submitter + "!" + policyDomain + "!" + begin.getEpochSecond() + "!" + end.getEpochSecond() + ".json.gz";
    }

    private String description(TlsReport report, String domain, String reportId, String fileName) {
        return "This is an aggregate TLS report (RFC 8460, SMTP TLS Reporting) from " + submitter
                + "\r\nabout mail to " + domain + ",\r\ncovering " + report.start() + " to " + report.end() + ".\r\n\r\n"
                + "Organization: " + SafeText.display(report.organizationName(), 200) + "\r\n"
                + "Contact: " + SafeText.display(report.contactInfo(), 200) + "\r\n"
                + "Report-ID: <" + reportId + ">\r\n\r\n"
                + "The report is attached (" + TlsRptMedia.GZIP + ") as\r\n" + fileName + "\r\n";
    }

    private InternetAddress[] recipients(List<String> addresses) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("the rua names no address");
        }
        InternetAddress[] to = new InternetAddress[addresses.size()];
        for (int i = 0; i < to.length; i++) {
            to[i] = checkAddress(addresses.get(i));
        }
        return to;
    }

    /**
     * The Report-ID as an RFC 5322 msg-id without its angle brackets: {@code id@right}, each side a
     * dot-atom; an id without {@code @} gets {@code @<submitter>}.
     */
    private String msgId(String reportId) {
        String id = reportId.indexOf('@') < 0 ? reportId + "@" + submitter : reportId;
        int at = id.indexOf('@');
        if (id.length() > 900 || !MailtoUri.isDotAtom(id.substring(0, at)) || !MailtoUri.isDotAtom(id.substring(at + 1))) {
            throw new IllegalArgumentException("report-id cannot be a Report-ID/msg-id (RFC 8460 §5.3, RFC 5322 §3.6.4:"
                    + " dot-atom[@dot-atom]): " + SafeText.quoted(reportId));
        }
        return id;
    }

    /** A domain name exactly as {@link Domains#normalize} gives it: lower-case A-labels, nothing else. */
    private static String checkDomain(String what, String domain) {
        String normalized;
        try {
            normalized = Domains.normalize(domain);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is no domain name: " + SafeText.quoted(domain));
        }
        if (!normalized.equals(domain)) {
            throw new IllegalArgumentException(what + " is not a normalized domain name (lower-case A-labels, no"
                    + " trailing dot or space): " + SafeText.quoted(domain));
        }
        return normalized;
    }

    /** An addr-spec, no display name, no group: strictly parsed, printable ASCII only. */
    private static InternetAddress checkAddress(String address) {
        if (address == null || address.isEmpty() || !address.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("address must be printable ASCII, no space: " + SafeText.quoted(address));
        }
        try {
            InternetAddress a = new InternetAddress(address, true);
            if (a.isGroup() || a.getPersonal() != null || !a.getAddress().equals(address) || a.getAddress().indexOf('@') < 0) {
                throw new AddressException("not a plain local@domain address");
            }
            return a;
        } catch (AddressException e) {
            throw new IllegalArgumentException("not an address (" + SafeText.of(e.getMessage()) + "): " + SafeText.quoted(address));
        }
    }

    /** {@code multipart/report; report-type="tlsrpt"} (RFC 8460 §5.3, RFC 6522). */
    private static final class ReportMultipart extends MimeMultipart {
        ReportMultipart() throws MessagingException {
            super("report");
            ContentType ct = new ContentType(contentType);
            contentType = "multipart/report; report-type=\"" + TlsRptMedia.REPORT_TYPE + "\"; boundary=\""
                    + ct.getParameter("boundary") + "\"";
        }
    }

    /** Keeps the Message-ID set from the Report-ID instead of a generated one. */
    private static final class ReportMessage extends MimeMessage {
        ReportMessage(Session session) {
            super(session);
        }

        @Override
        protected void updateMessageID() {
            // Message-ID is the Report-ID, set by message().
        }
    }
}
