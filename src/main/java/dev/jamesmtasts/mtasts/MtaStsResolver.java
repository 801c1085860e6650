package dev.jamesmtasts.mtasts;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;

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
 *       {@link MtaStsSettings#dnsTimeout()} × the number of resolvers (see {@code DnsClient});</li>
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
            List<String> sts = new ArrayList<>(1);
            for (Record r : answer.records) {
                String txt = concatenate((TXTRecord) r);
                if (StsRecord.isStsRecord(txt)) {
                    sts.add(txt);
                }
            }
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
     * Fetches {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} (RFC 8461 §3.3), address
     * lookup included, within {@link MtaStsSettings#fetchTimeout()}.
     */
    @Override
    public PolicyFetchResult fetchPolicy(String domain) {
        return fetcher.fetch(domain);
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
