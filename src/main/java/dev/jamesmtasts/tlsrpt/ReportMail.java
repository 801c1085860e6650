package dev.jamesmtasts.tlsrpt;

/**
 * How a TLS-RPT report sent by mail (RFC 8460 §5.3) is recognised, written once: the mailto: transport
 * sets these on every report it sends, and the delivery side ({@code james.TlsRptListener}) never
 * records the sessions of delivering a report, so that a report about a failing domain cannot feed the
 * next report about it (no report loops, as mox does; loops were seen in Stalwart, issue 923).
 */
public final class ReportMail {
    /** RFC 8460 §5.3: the header naming the policy domain the report is about; required on report mails. */
    public static final String REPORT_DOMAIN_HEADER = "TLS-Report-Domain";
    /** RFC 8460 §5.3: the header naming the submitting domain. */
    public static final String REPORT_SUBMITTER_HEADER = "TLS-Report-Submitter";
    /**
     * The James mail attribute set on a report mail when it enters the mail pipeline (value: the policy
     * domain); checked first, the {@link #REPORT_DOMAIN_HEADER} header second.
     */
    public static final String ATTRIBUTE = "dev.jamesmtasts.tlsrpt.report";

    private ReportMail() {
    }
}
