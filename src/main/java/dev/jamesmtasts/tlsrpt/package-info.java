/**
 * TLS-RPT (RFC 8460), the protocol part: result types, the applied policy and failure details a
 * session result is counted under, the aggregate report and its JSON/gzip/mail forms. No Cassandra,
 * no James (those live in {@code reporting} and {@code james}). The {@code _smtp._tls} TXT record and
 * its lookup live in {@code mtasts} ({@code TlsRptRecord}), beside the {@code _mta-sts} record, because
 * they share its DNS client.
 */
package dev.jamesmtasts.tlsrpt;
