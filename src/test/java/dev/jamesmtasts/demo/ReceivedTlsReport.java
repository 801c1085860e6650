package dev.jamesmtasts.demo;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.ContentType;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.internet.ParseException;

import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.PolicyType;
import dev.jamesmtasts.tlsrpt.ReportFormatException;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.ReportMail;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * A TLS-RPT report as a report receiver of the demo got it (RFC 8460 §5): a POST to an {@code https:}
 * rua (§5.4) or a mail to a {@code mailto:} rua (§5.3), its envelope checked and its JSON parsed back
 * field by field with {@link ReportJson} (the project's strict reader), and the lines the demo prints
 * about it. Everything here came over the network, so every printed value goes through
 * {@link SafeText}.
 */
final class ReceivedTlsReport {
    /** What a report receiver reads first: the media type of the report (RFC 8460 §5.1, §6.5). */
    static final String GZIP = ReportJson.MEDIA_TYPE_GZIP;

    private final List<String> envelope;
    private final List<String> problems;
    private final TlsReport report;
    private final String reportDomainHeader;

    private ReceivedTlsReport(List<String> envelope, List<String> problems, TlsReport report, String reportDomainHeader) {
        this.envelope = Collections.unmodifiableList(envelope);
        this.problems = Collections.unmodifiableList(problems);
        this.report = report;
        this.reportDomainHeader = reportDomainHeader;
    }

    /**
     * The last request an HTTPS report receiver got (RFC 8460 §5.4: a POST whose body is the gzipped
     * report, {@code Content-Type: application/tlsrpt+gzip}).
     *
     * @param head the request line and headers, null when nothing arrived
     * @param body the request body
     */
    static ReceivedTlsReport ofPost(String head, byte[] body) {
        List<String> envelope = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (head == null) {
            problems.add("no request received");
            return new ReceivedTlsReport(envelope, problems, null, null);
        }
        String[] lines = head.split("\r\n");
        String contentType = header(lines, "Content-Type");
        envelope.add(SafeText.of(lines[0]) + "  Content-Type: " + SafeText.of(contentType) + "  ("
                + (body == null ? 0 : body.length) + " bytes)");
        if (!lines[0].startsWith("POST ")) {
            problems.add("not a POST: " + SafeText.of(lines[0]));
        }
        if (!isMediaType(contentType, GZIP)) {
            problems.add("Content-Type " + SafeText.quoted(contentType) + ", not " + GZIP);
        }
        return parse(envelope, problems, body, null);
    }

    /**
     * A mail an SMTP report receiver got (RFC 8460 §5.3: {@code multipart/report; report-type="tlsrpt"},
     * the {@code TLS-Report-Domain} header, and the gzipped report as an {@code application/tlsrpt+gzip}
     * part), as the raw message (headers and body, as received after DATA).
     */
    static ReceivedTlsReport ofMail(String data) {
        List<String> envelope = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try {
            MimeMessage m = new MimeMessage(Session.getInstance(new Properties()),
                    new ByteArrayInputStream(data.getBytes(StandardCharsets.ISO_8859_1)));
            String domain = m.getHeader(ReportMail.REPORT_DOMAIN_HEADER, null);
            String tlsRequired = m.getHeader("TLS-Required", null);
            String contentType = m.getContentType();
            envelope.add("Subject: " + SafeText.of(m.getSubject(), 160));
            String reportType = parameter(contentType, "report-type");
            envelope.add("Content-Type: " + SafeText.of(baseType(contentType)) + (reportType == null ? ""
                    : "; report-type=\"" + SafeText.of(reportType) + "\""));
            envelope.add(ReportMail.REPORT_DOMAIN_HEADER + ": " + SafeText.of(domain) + "  TLS-Required: "
                    + SafeText.of(tlsRequired));
            if (!isMediaType(contentType, "multipart/report") || !"tlsrpt".equalsIgnoreCase(reportType)) {
                problems.add("Content-Type " + SafeText.quoted(contentType) + ", not multipart/report; report-type=\"tlsrpt\"");
            }
            if (domain == null) {
                problems.add("no " + ReportMail.REPORT_DOMAIN_HEADER + " header");
            }
            if (!"No".equals(tlsRequired)) {
                problems.add("TLS-Required " + SafeText.quoted(tlsRequired) + ", not No (RFC 8689 §5)");
            }
            Object content = m.getContent();
            if (!(content instanceof MimeMultipart)) {
                problems.add("not a multipart message");
                return new ReceivedTlsReport(envelope, problems, null, domain);
            }
            MimeMultipart parts = (MimeMultipart) content;
            for (int i = 0; i < parts.getCount(); i++) {
                BodyPart part = parts.getBodyPart(i);
                if (isMediaType(part.getContentType(), GZIP)) {
                    byte[] gz = bytes(part.getInputStream());
                    envelope.add("attachment " + SafeText.of(part.getFileName(), 160) + " (" + GZIP + ", " + gz.length + " bytes)");
                    return parse(envelope, problems, gz, domain);
                }
            }
            problems.add("no " + GZIP + " part");
            return new ReceivedTlsReport(envelope, problems, null, domain);
        } catch (MessagingException | IOException e) {
            problems.add("unreadable mail: " + SafeText.of(e.toString()));
            return new ReceivedTlsReport(envelope, problems, null, null);
        }
    }

    private static ReceivedTlsReport parse(List<String> envelope, List<String> problems, byte[] gz, String domainHeader) {
        try {
            TlsReport r = ReportJson.readGzip(gz == null ? new byte[0] : gz, ReportJson.DEFAULT_MAX_BYTES);
            return new ReceivedTlsReport(envelope, problems, r, domainHeader);
        } catch (ReportFormatException e) {
            problems.add("not an RFC 8460 report: " + SafeText.of(e.getMessage(), 200));
            return new ReceivedTlsReport(envelope, problems, null, domainHeader);
        }
    }

    /** The report parsed back, or null when none could be read. */
    TlsReport report() {
        return report;
    }

    /** What is wrong with what arrived (empty when the envelope is as RFC 8460 §5 asks and the JSON reads). */
    List<String> problems() {
        return problems;
    }

    /**
     * The failed sessions the report counts for {@code policyDomain} under a policy of {@code type} with
     * result {@code result} at MX {@code mxHost} (any MX when null): the sum of the matching
     * {@code failed-session-count}s (RFC 8460 §4.4); 0 when none or when nothing could be read.
     */
    long failedSessions(String policyDomain, PolicyType type, ResultType result, String mxHost) {
        if (report == null) {
            return 0;
        }
        long n = 0;
        for (TlsReport.PolicyResults p : report.policies()) {
            if (p.policy().type() != type || !p.policy().policyDomain().equalsIgnoreCase(policyDomain)) {
                continue;
            }
            for (Map.Entry<FailureDetail, Long> f : p.failures().entrySet()) {
                FailureDetail d = f.getKey();
                if (d.resultType() == result && (mxHost == null || mxHost.equalsIgnoreCase(d.receivingMxHostname()))) {
                    n += f.getValue();
                }
            }
        }
        return n;
    }

    /**
     * Whether this is a well-formed report (no {@link #problems()}) about {@code policyDomain} counting
     * at least one failed session of {@code result} at {@code mxHost} (any when null) under a policy of
     * {@code type}; a mail's {@code TLS-Report-Domain} header must name that domain too.
     */
    boolean reports(String policyDomain, PolicyType type, ResultType result, String mxHost) {
        return problems.isEmpty()
                && (reportDomainHeader == null || reportDomainHeader.equalsIgnoreCase(policyDomain))
                && failedSessions(policyDomain, type, result, mxHost) >= 1;
    }

    /** The lines the demo prints: the envelope, then the report's key fields, then any problem. */
    List<String> lines() {
        List<String> out = new ArrayList<>(envelope);
        if (report != null) {
            out.add("report-id " + SafeText.of(report.reportId()) + "  organization-name "
                    + SafeText.quoted(report.organizationName()) + "  contact-info " + SafeText.of(report.contactInfo()));
            // an interim report (send-now of a day not ended) ends before 23:59:59Z: RFC 8460 §4.4 date-range
            out.add("date-range " + report.start() + " to " + report.end());
            for (TlsReport.PolicyResults p : report.policies()) {
                out.add("policy-type " + p.policy().type().label() + "  policy-domain " + SafeText.of(p.policy().policyDomain())
                        + "  mx-host " + SafeText.list(p.policy().mxHosts(), SafeText.LIST_MAX)
                        + "  successful " + p.successfulSessions() + "  failed " + p.failedSessions());
                for (Map.Entry<FailureDetail, Long> f : p.failures().entrySet()) {
                    FailureDetail d = f.getKey();
                    out.add("  result-type " + d.resultType().label()
                            + optional("receiving-mx-hostname", d.receivingMxHostname())
                            + optional("receiving-ip", d.receivingIp())
                            + optional("failure-reason-code", d.failureReasonCode())
                            + "  failed-session-count " + f.getValue());
                }
            }
        }
        for (String p : problems) {
            out.add("PROBLEM: " + p);
        }
        return out;
    }

    private static String optional(String name, String value) {
        return value == null ? "" : "  " + name + " " + SafeText.of(value);
    }

    private static String header(String[] lines, String name) {
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).trim().equalsIgnoreCase(name)) {
                return lines[i].substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** Whether {@code contentType} (with any parameters) is {@code mediaType}. */
    private static boolean isMediaType(String contentType, String mediaType) {
        return mediaType.equals(baseType(contentType));
    }

    /** The media type without parameters, lower case; null when there is none or it does not parse. */
    private static String baseType(String contentType) {
        if (contentType == null) {
            return null;
        }
        try {
            return new ContentType(unfold(contentType)).getBaseType().toLowerCase(Locale.ROOT);
        } catch (ParseException e) {
            return null;
        }
    }

    private static String parameter(String contentType, String name) {
        if (contentType == null) {
            return null;
        }
        try {
            return new ContentType(unfold(contentType)).getParameter(name);
        } catch (ParseException e) {
            return null;
        }
    }

    private static String unfold(String header) {
        return header == null ? "" : header.replaceAll("\r?\n[ \t]+", " ");
    }

    private static byte[] bytes(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }
}
