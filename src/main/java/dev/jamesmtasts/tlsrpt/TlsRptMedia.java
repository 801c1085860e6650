package dev.jamesmtasts.tlsrpt;

/** The media types and report type of RFC 8460 §6, one place for the mail and the HTTPS transport. */
final class TlsRptMedia {
    /** A gzip-compressed report (RFC 8460 §5.2, §6.5), for both transports. */
    static final String GZIP = "application/tlsrpt+gzip";
    /** The {@code report-type} parameter of {@code multipart/report} (RFC 8460 §5.3, §6.2). */
    static final String REPORT_TYPE = "tlsrpt";

    private TlsRptMedia() {
    }

    /** True when {@code report} starts with the gzip magic bytes (RFC 1952 §2.3.1): the transports send gzip only. */
    static boolean isGzip(byte[] report) {
        return report.length >= 2 && (report[0] & 0xff) == 0x1f && (report[1] & 0xff) == 0x8b;
    }
}
