package dev.jamesmtasts.mtasts;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Predicate;

import org.xbill.DNS.Record;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The live MTA-STS source: TXT records through dnsjava, policies over HTTPS (RFC 8461 §3). Built from
 * {@link MtaStsSettings}; thread-safe and meant to be shared; {@link #close()} stops the deadline
 * watchdog thread.
 *
 * <pre>
 * try (MtaStsResolver r = new MtaStsResolver(MtaStsSettings.defaults())) {
 *     LookupResult result = r.lookup("example.com");
 * }
 * </pre>
 *
 * No method throws for any input or network condition: a domain that is not a valid DNS name gives
 * NO_RECORD / HOST_NOT_FOUND.
 *
 * <p>Every operation has ONE end-to-end bound, whatever the network does (issue 9: mail to many
 * fresh attacker-chosen domains must not hold delivery threads for multiples of the configured
 * time-outs):
 * <ul>
 *   <li>{@link #lookupRecord(String)}: the TXT query and every CNAME hop share one DNS deadline,
 *       {@link MtaStsSettings#dnsTimeout()} × the number of resolvers (see {@code DnsClient});
 *       likewise {@link #lookupTlsRpt(String)} for {@code _smtp._tls} (RFC 8460 §3);</li>
 *   <li>{@link #fetchPolicy(String)}: {@link MtaStsSettings#fetchTimeout()} covers the policy host's
 *       A/AAAA lookups, connect, TLS and body;</li>
 *   <li>{@link #lookup(String)}: at most the sum of the two.</li>
 * </ul>
 * Past its bound an operation ends as a typed temporary result ({@link RecordLookupResult.Kind#TEMPORARY_ERROR},
 * {@link FetchFailure#TIMEOUT}), never as "no record".
 */
public final class MtaStsResolver implements PolicySource, AutoCloseable {
    private final MtaStsSettings settings;
    private final DnsClient dns;
    private final PolicyFetcher fetcher;
    private final ScheduledThreadPoolExecutor watchdog;

    /**
     * @throws IllegalArgumentException when the configured trust store cannot be read
     */
    public MtaStsResolver(MtaStsSettings settings) {
        this.settings = settings;
        this.dns = new DnsClient(settings.resolvers(), settings.dnsTimeout());
        this.watchdog = HttpsConnector.newWatchdog("mta-sts-fetch-watchdog");
        this.fetcher = new PolicyFetcher(dns, settings, TrustMaterial.socketFactory(settings), watchdog);
    }

    /** The settings this resolver was built from. */
    public MtaStsSettings settings() {
        return settings;
    }

    /**
     * Looks up {@code _mta-sts.<domain>} TXT (RFC 8461 §3.1): CNAMEs followed, multi-string rdata
     * concatenated without separator, TXT data that does not start with {@code v=STSv1} ignored; then
     * exactly one STS record must remain and parse. The whole chain ends within
     * {@link MtaStsSettings#dnsTimeout()} × the number of resolvers.
     */
    @Override
    public RecordLookupResult lookupRecord(String domain) {
        try {
            String name = "_mta-sts." + domain;
            DnsClient.Answer answer = dns.query(name, Type.TXT);
            switch (answer.status) {
                case NXDOMAIN:
                case NODATA:
                    return RecordLookupResult.noRecord(answer.detail);
                case TEMPORARY:
                    return RecordLookupResult.temporaryError(answer.detail);
                default:
                    break;
            }
            List<String> sts = txtMatching(answer.records, StsRecord::isStsRecord);
            if (sts.isEmpty()) {
                return RecordLookupResult.noRecord(answer.records.size() + " TXT record(s) at " + name
                        + ", none starting with v=STSv1");
            }
            if (sts.size() > 1) {
                return RecordLookupResult.multipleRecords(sts.size() + " STS records at " + name
                        + " (RFC 8461 §3.1: exactly one is required)");
            }
            try {
                return RecordLookupResult.found(StsRecord.parse(sts.get(0)));
            } catch (StsSyntaxException e) {
                return RecordLookupResult.invalidRecord(e.getMessage());
            }
        } catch (RuntimeException e) {
            return RecordLookupResult.temporaryError("unexpected error: " + e);
        }
    }

    /**
     * Looks up {@code _smtp._tls.<domain>} TXT (RFC 8460 §3), the same way as {@link #lookupRecord}:
     * CNAMEs followed, multi-string rdata concatenated without separator, TXT data that does not start
     * with {@code v=TLSRPTv1} ignored; then exactly one TLS-RPT record must remain (several mean the
     * domain does not implement TLS-RPT: {@link TlsRptLookupResult.Kind#NONE}) and parse. Within the
     * same DNS deadline; a time-out is {@link TlsRptLookupResult.Kind#TEMPORARY}, never NONE.
     */
    public TlsRptLookupResult lookupTlsRpt(String domain) {
        try {
            String name = "_smtp._tls." + domain;
            DnsClient.Answer answer = dns.query(name, Type.TXT);
            switch (answer.status) {
                case NXDOMAIN:
                case NODATA:
                    return TlsRptLookupResult.none(answer.detail);
                case TEMPORARY:
                    return TlsRptLookupResult.temporary(answer.detail);
                default:
                    break;
            }
            List<String> tlsrpt = txtMatching(answer.records, TlsRptRecord::isTlsRptRecord);
            if (tlsrpt.size() != 1) {
                return TlsRptLookupResult.none(tlsrpt.isEmpty()
                        ? answer.records.size() + " TXT record(s) at " + name + ", none starting with " + TlsRptRecord.VERSION
                        : tlsrpt.size() + " TLS-RPT records at " + name
                                + " (RFC 8460 §3: not exactly one, so the domain does not implement TLS-RPT)");
            }
            try {
                return TlsRptLookupResult.found(TlsRptRecord.parse(tlsrpt.get(0)));
            } catch (TlsRptSyntaxException e) {
                return TlsRptLookupResult.invalid(e.getMessage());
            }
        } catch (RuntimeException e) {
            return TlsRptLookupResult.temporary("unexpected error: " + e);
        }
    }

    /**
     * Fetches {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} (RFC 8461 §3.3), address
     * lookup included, within {@link MtaStsSettings#fetchTimeout()}.
     */
    @Override
    public PolicyFetchResult fetchPolicy(String domain) {
        return fetcher.fetch(domain);
    }

    /**
     * The TXT records (each one's strings concatenated) that {@code isRecord} claims: RFC 8461 §3.1
     * and RFC 8460 §3 both discard TXT data that does not start with their version tag.
     */
    private static List<String> txtMatching(List<Record> records, Predicate<String> isRecord) {
        List<String> matching = new ArrayList<>(1);
        for (Record r : records) {
            String txt = concatenate((TXTRecord) r);
            if (isRecord.test(txt)) {
                matching.add(txt);
            }
        }
        return matching;
    }

    /** The strings of one TXT record joined with no separator (RFC 8461 §3.1), byte for byte. */
    private static String concatenate(TXTRecord r) {
        List<byte[]> parts = r.getStringsAsByteArrays();
        int len = 0;
        for (byte[] p : parts) {
            len += p.length;
        }
        byte[] all = new byte[len];
        int pos = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, pos, p.length);
            pos += p.length;
        }
        // ISO-8859-1 maps bytes 1:1; anything non-ASCII then fails the record grammar.
        return new String(all, StandardCharsets.ISO_8859_1);
    }

    /** Stops the watchdog thread. Fetches still in flight end at their socket time-out; later ones fail. */
    @Override
    public void close() {
        watchdog.shutdownNow();
    }

    @Override
    public String toString() {
        return "MtaStsResolver" + settings;
    }
}
